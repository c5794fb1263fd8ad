import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, freePort, startIdp, testClient, type TestIdp } from '../harness/idp.ts';
import { LogoutReceiver } from '../harness/logout-receiver.ts';
import { createTestDatabase } from '../harness/pg.ts';
import { signIn } from '../harness/rp.ts';
import { UserAgent } from '../harness/user-agent.ts';
import { waitFor } from '../harness/wait.ts';

const APPS = Array.from({ length: 30 }, (_, i) => `tab${i}`);

const backends = [
  { name: 'SQLite', async storage() { return { config: undefined, drop: async () => {} }; } },
  {
    name: 'PostgreSQL',
    async storage() {
      const db = await createTestDatabase();
      return { config: { kind: 'postgres', url: db.url }, drop: db.drop };
    },
  },
];

for (const backend of backends) {
  describe(`concurrent silent sign-ins in one browser (${backend.name})`, () => {
    let idp: TestIdp;
    let receiver: LogoutReceiver;
    let drop: () => Promise<void>;

    before(async () => {
      const port = await freePort();
      receiver = await new LogoutReceiver(`http://localhost:${port}`).start();
      const storage = await backend.storage();
      drop = storage.drop;
      idp = await startIdp({
        port,
        ...(storage.config ? { storage: storage.config } : {}),
        clients: ['first', ...APPS].map((id) => testClient(id, { backchannel_logout_uri: receiver.url(id), backchannel_logout_session_required: true })),
      });
    });
    after(async () => {
      await idp.close();
      await receiver.stop();
      await drop();
    });

    it('keeps every application in the session and signs every one of them out', async () => {
      const ua = new UserAgent();
      const first = await signIn(ua, idp.issuer, testClient('first'));
      const results = await Promise.allSettled(APPS.map((id) => signIn(ua, idp.issuer, testClient(id))));
      const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${APPS[i]}: ${(r.reason as Error).message}`] : []));
      assert.deepEqual(failed, [], 'every code exchange succeeds');
      for (const r of results) assert.equal(r.status === 'fulfilled' && r.value.passwordPrompted, false, 'silent');

      const ssodata = await (await ua.fetch(`${idp.issuer}/user/ssodata`)).json() as { sessionClients: string[] };
      assert.deepEqual([...ssodata.sessionClients].sort(), ['first', ...APPS].sort(), 'every application is listed');

      const sub = first.claims.sub as string;
      assert.equal((await api(idp.issuer, `/users/${sub}/sessions`, { method: 'DELETE' })).status, 200);
      await waitFor(() => ['first', ...APPS].every((id) => receiver.acknowledged(id) === 1) || undefined, 10_000, 'a logout token at every application');
      const sids = new Map(results.map((r, i) => [APPS[i], r.status === 'fulfilled' ? r.value.claims.sid : undefined]));
      for (const id of APPS) assert.equal(receiver.received.get(id)![0]!.claims.sid, sids.get(id), `${id}'s token names its session`);
      assert.deepEqual(receiver.invalid, []);
    });
  });
}
