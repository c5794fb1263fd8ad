import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, freePort, startIdp, testClient, type TestIdp } from '../harness/idp.ts';
import { LogoutReceiver } from '../harness/logout-receiver.ts';
import { signIn } from '../harness/rp.ts';
import { UserAgent } from '../harness/user-agent.ts';
import { waitFor } from '../harness/wait.ts';

// A tenant's size must not be every request's cost: what serves one person reads that person's
// clients, never the whole list (npm run bench tenants measures it with 10,000 clients).
describe('a tenant with many applications', () => {
  let idp: TestIdp;
  let receiver: LogoutReceiver;
  const clientsListed: string[] = [];

  before(async () => {
    const port = await freePort();
    receiver = await new LogoutReceiver(`http://localhost:${port}`).start();
    idp = await startIdp({
      port,
      clients: Array.from({ length: 60 }, (_, i) => testClient(`app${i}`, { backchannel_logout_uri: receiver.url(`app${i}`) })),
    });
    const storage = idp.adieu.storage;
    const listClients = storage.listClients.bind(storage);
    storage.listClients = async () => {
      clientsListed.push(new Error().stack!.split('\n').slice(2, 5).join(' <- '));
      return listClients();
    };
  });
  after(async () => {
    await idp.close();
    await receiver.stop();
  });

  it('signs in, answers ssodata, shows and previews sessions and ends them without listing every client', async () => {
    const ua = new UserAgent();
    let sub = '';
    for (const id of ['app3', 'app7', 'app42']) sub = (await signIn(ua, idp.issuer, testClient(id))).claims.sub as string;
    const ssodata = await ua.fetch(`${idp.issuer}/user/ssodata`);
    assert.deepEqual((await ssodata.json()).sessionClients, ['app3', 'app7', 'app42']);
    const sessions = (await api(idp.issuer, `/users/${sub}/sessions`)).body.sessions;
    assert.deepEqual(sessions[0].clients.map((c: any) => c.client_name), ['App app3', 'App app7', 'App app42']);
    const preview = (await api(idp.issuer, `/users/${sub}/logout-preview`)).body;
    assert.deepEqual(preview.sessions[0].deliveries.map((d: any) => d.client_id), ['app3', 'app7', 'app42']);
    assert.equal((await api(idp.issuer, `/users/${sub}/sessions`, { method: 'DELETE' })).status, 200);
    await waitFor(() => ['app3', 'app7', 'app42'].every((id) => receiver.count(id) === 1), 10_000, 'each application told');
    assert.deepEqual(clientsListed, [], 'no request for one person read every client');
  });
});
