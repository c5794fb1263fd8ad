import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isOnlyTouch, touchInterval_s } from './touch.ts';

const session = { accountId: 'u1', loginTs: 1000, exp: 5000, authorizations: { app1: { sid: 's1', grantId: 'g1' } } };
const record = { uid: 'x', last_used_client_id: 'app1', updated_at: 1000, expires_at: 5000, clients: [{ client_id: 'app1', sid: 's1', first_at: 900, last_at: 1000 }] };

test('a save that only slides the expiry by less than the interval is a touch', () => {
  assert.equal(isOnlyTouch(session, { ...session, exp: 5059 }, 60), true);
  assert.equal(isOnlyTouch(session, { ...session }, 60), true);
});

test('a save that slides the expiry by the interval or more is written', () => {
  assert.equal(isOnlyTouch(session, { ...session, exp: 5060 }, 60), false);
});

test('a time moving back, or any other field changing, is written', () => {
  assert.equal(isOnlyTouch(session, { ...session, exp: 4999 }, 60), false);
  assert.equal(isOnlyTouch(session, { ...session, loginTs: 1001 }, 60), false);
  assert.equal(isOnlyTouch(session, { ...session, authorizations: { app1: { sid: 's2', grantId: 'g1' } } }, 60), false);
  assert.equal(isOnlyTouch(session, { ...session, authorizations: { ...session.authorizations, app2: { sid: 's3', grantId: 'g2' } } }, 60), false);
  const { loginTs, ...withoutLogin } = session;
  assert.equal(isOnlyTouch(session, withoutLogin, 60), false);
  assert.equal(isOnlyTouch(withoutLogin, session, 60), false);
});

test("a record's times inside its clients are touches, its clients and last-used application are not", () => {
  const touched = { ...record, updated_at: 1030, expires_at: 5030, clients: [{ ...record.clients[0]!, last_at: 1030 }] };
  assert.equal(isOnlyTouch(record, touched, 60), true);
  assert.equal(isOnlyTouch(record, { ...touched, last_used_client_id: 'app2' }, 60), false);
  assert.equal(isOnlyTouch(record, { ...touched, clients: [...touched.clients, { client_id: 'app2', sid: 's2', first_at: 1030, last_at: 1030 }] }, 60), false);
  assert.equal(isOnlyTouch(record, { ...touched, clients: [{ ...touched.clients[0]!, first_at: 1030 }] }, 60), false);
});

test('the touch interval is a minute, or 1% of a short idle TTL', () => {
  assert.equal(touchInterval_s(3 * 24 * 3600), 60);
  assert.equal(touchInterval_s(600), 6);
  assert.equal(touchInterval_s(50), 0);
});
