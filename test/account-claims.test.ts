import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, startIdp, testClient, type TestIdp } from '../harness/idp.ts';
import { signIn } from '../harness/rp.ts';
import { UserAgent } from '../harness/user-agent.ts';

// The user behind a token is read through a one-second cache (storage.getAccount): a change made
// through this node must still be in the very next token.
describe("a user's claims in tokens", () => {
  let idp: TestIdp;
  before(async () => { idp = await startIdp(); });
  after(() => idp.close());

  it('follow a profile change made through the management API at once', async () => {
    const ua = new UserAgent();
    const first = await signIn(ua, idp.issuer, testClient('app1'));
    assert.equal(first.claims.name, 'Mary');
    const changed = await api(idp.issuer, `/users/${first.claims.sub}`, { method: 'PATCH', json: { name: 'Mary Jones' } });
    assert.equal(changed.status, 200);
    const next = await signIn(ua, idp.issuer, testClient('app1'));
    assert.equal(next.passwordPrompted, false);
    assert.equal(next.claims.name, 'Mary Jones');
  });

  it('are not issued for a deleted user, even within the cache', async () => {
    const ua = new UserAgent();
    const created = await api(idp.issuer, '/users', { method: 'POST', json: { username: 'sam@contoso.test', email: 'sam@contoso.test', password: 'correct-horse-battery' } });
    assert.equal(created.status, 201);
    await signIn(ua, idp.issuer, testClient('app1'), { username: 'sam@contoso.test' });
    assert.equal((await api(idp.issuer, `/users/${created.body.id}`, { method: 'DELETE' })).status, 204);
    await assert.rejects(signIn(ua, idp.issuer, testClient('app1'), { username: 'sam@contoso.test', password: 'correct-horse-battery' }));
  });
});
