import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startIdp, testClient, type TestIdp } from '../harness/idp.ts';
import { signIn } from '../harness/rp.ts';
import { UserAgent } from '../harness/user-agent.ts';

// oidc-provider saves the Session after every request that loaded it; a silent sign-in that
// changes nothing but the times is not written until the touch interval has passed
// (sessions/touch.ts): 1% of this idle TTL of 300 s, 3 s.
describe('a silent sign-in that only touches its session', () => {
  let idp: TestIdp;
  const writes: string[] = [];
  const ua = new UserAgent();
  let uid = '';

  before(async () => {
    idp = await startIdp({ session: { idle_ttl_seconds: 300 } });
    const storage = idp.adieu.storage;
    for (const method of ['saveSession', 'updateSsoSession', 'saveSsoSession'] as const) {
      const original = (storage[method] as (...args: any[]) => Promise<any>).bind(storage);
      (storage as any)[method] = (...args: any[]) => {
        writes.push(method);
        return original(...args);
      };
    }
    await signIn(ua, idp.issuer, testClient('app1'));
    uid = (await storage.listSsoSessions((await storage.findUser('Username-Password-Authentication', 'mary@fabrikamcorp.com'))!.id, 0))[0]!.uid;
  });
  after(() => idp.close());

  const record = () => idp.adieu.storage.getSsoSession(uid);
  const silently = async (id: string) => {
    writes.length = 0;
    const result = await signIn(ua, idp.issuer, testClient(id));
    assert.equal(result.passwordPrompted, false);
    return [...writes];
  };

  it('writes nothing when it repeats the last application within the interval', async () => {
    const before = await record();
    assert.deepEqual(await silently('app1'), []);
    assert.deepEqual(await record(), before);
  });

  it('writes the record when it adds an application, or switches the last used one back', async () => {
    assert.notDeepEqual(await silently('app2'), []);
    assert.deepEqual((await record())!.clients.map((c) => c.client_id), ['app1', 'app2']);
    assert.equal((await record())!.last_used_client_id, 'app2');
    assert.notDeepEqual(await silently('app1'), []);
    assert.equal((await record())!.last_used_client_id, 'app1');
  });

  it('slides the stored expiry once the interval has passed', async () => {
    const stored = (await record())!;
    await new Promise((resolve) => setTimeout(resolve, 3_100));
    assert.deepEqual(await silently('app1'), ['saveSession']);
    const now = (await record())!;
    assert.ok(now.expires_at >= stored.expires_at + 3, `expiry ${stored.expires_at} -> ${now.expires_at}`);
    assert.ok(now.clients[0]!.last_at >= stored.clients[0]!.last_at + 3);
  });
});
