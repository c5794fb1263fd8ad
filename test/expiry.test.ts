import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startIdp, testClient, type TestIdp } from '../harness/idp.ts';
import { signIn } from '../harness/rp.ts';
import { UserAgent } from '../harness/user-agent.ts';
import { sweepExpired } from '../src/sessions/expiry.ts';

const HOUR_MS = 3600 * 1000;
const DAY_MS = 24 * HOUR_MS;

describe('storage does not grow without bound', () => {
  let idp: TestIdp;
  before(async () => { idp = await startIdp(); });
  after(() => idp.close());
  const sweep = (at_ms: number) => sweepExpired(idp.adieu.storage, idp.adieu.ender, idp.adieu.config, at_ms);

  it('provider Sessions that cookie-less end-session requests create are swept once expired; signed-in sessions stay', async () => {
    const person = new UserAgent();
    await signIn(person, idp.issuer, testClient('app1'));
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const ua = new UserAgent();
      assert.equal((await ua.fetch(`${idp.issuer}/oidc/logout`)).status, 200);
      const id = ua.cookie(idp.issuer, 'adieu_sso');
      assert.ok(id && await idp.adieu.storage.findPayload('Session', id), 'the request stored a Session');
      ids.push(id);
    }
    await sweep(Date.now() + 2 * HOUR_MS);
    for (const id of ids) assert.equal(await idp.adieu.storage.findPayload('Session', id), undefined);
    assert.equal((await (await person.fetch(`${idp.issuer}/user/ssodata`)).json() as any).sso, true, 'the signed-in session is untouched');
  });

  it('completed logout records are kept for logout.retention_days (30 by default), then deleted with their deliveries', async () => {
    const ua = new UserAgent();
    const { claims } = await signIn(ua, idp.issuer, testClient('app2'));
    const [session] = await idp.adieu.storage.listSsoSessions(claims.sub as string, 0);
    const ended = await idp.adieu.ender.end(session!.uid, 'admin');
    const id = ended!.logout!.record.id;
    assert.equal(idp.adieu.config.logout.retention_days, 30);
    await sweep(Date.now() + 29 * DAY_MS);
    assert.ok(await idp.adieu.storage.getLogout(id), 'kept within retention');
    await sweep(Date.now() + 31 * DAY_MS);
    assert.equal(await idp.adieu.storage.getLogout(id), undefined, 'deleted after retention');
  });
});
