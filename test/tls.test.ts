import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { api, freePort, startIdp, testClient, type TestIdp } from '../harness/idp.ts';
import { signIn } from '../harness/rp.ts';
import { trustedLocalhostTls } from '../harness/tls.ts';
import { UserAgent } from '../harness/user-agent.ts';
import { waitFor } from '../harness/wait.ts';
import { ConfigError, parseConfig } from '../src/config/load.ts';

describe('Adieu serving TLS itself (tls: key_file, cert_file)', () => {
  let idp: TestIdp;
  let tls: Awaited<ReturnType<typeof trustedLocalhostTls>>;
  before(async () => {
    tls = await trustedLocalhostTls();
    const port = await freePort();
    idp = await startIdp({ port, issuer: `https://localhost:${port}`, tls: tls.files });
  });
  after(async () => {
    await idp.close();
    tls.restore();
  });

  it('serves discovery and a whole sign-in over https', async () => {
    assert.ok(idp.adieu.url.startsWith('https://'));
    const discovery = await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json() as Record<string, string>;
    assert.equal(discovery.token_endpoint, `${idp.issuer}/oauth/token`);
    const { claims } = await signIn(new UserAgent(), idp.issuer, testClient('app1'));
    assert.equal(claims.iss, idp.issuer);
    await assert.rejects(fetch(idp.issuer.replace('https:', 'http:') + '/health'), 'plain http is not served');
  });

  it('refuses tls with an http issuer, and names a file it cannot read', async () => {
    assert.throws(() => parseConfig({ issuer: 'http://localhost:3000', tls: { key_file: 'k', cert_file: 'c' } }, {}), (e: Error) => e instanceof ConfigError && /issuer: must be https when Adieu serves TLS/.test(e.message));
    await assert.rejects(startIdp({ issuer: 'https://localhost:1', port: 0, tls: { key_file: '/nonexistent/key.pem', cert_file: '/nonexistent/cert.pem' } }), /tls\.key_file: cannot read \/nonexistent\/key\.pem/);
  });

  it('a back-channel endpoint whose certificate a private CA issued is refused unless logout.backchannel.ca_file trusts it', async () => {
    const endpoint = createServer({ key: tls.key_pem, cert: tls.cert_pem }, (_req, res) => res.writeHead(200).end()).listen(0, '127.0.0.1');
    await once(endpoint, 'listening');
    try {
      const url = `https://localhost:${(endpoint.address() as AddressInfo).port}/bcl`;
      const deliveryTo = async (adieu: TestIdp) => {
        await api(adieu.issuer, '/clients', { method: 'POST', json: testClient('internal', { backchannel_logout_uri: url }) });
        const ua = new UserAgent();
        await signIn(ua, adieu.issuer, testClient('internal'));
        const mary = (await adieu.adieu.storage.findUser('Username-Password-Authentication', 'mary@fabrikamcorp.com'))!;
        await api(adieu.issuer, `/users/${mary.id}/sessions`, { method: 'DELETE' });
        return waitFor(async () => {
          for (const logout of (await api(adieu.issuer, `/logouts?user_id=${mary.id}`)).body.logouts) {
            const d = (await api(adieu.issuer, `/logouts/${logout.id}`)).body.deliveries.find((x: any) => x.client_id === 'internal');
            if (d && d.attempts > 0 && d.status !== 'delivering') return d;
          }
          return undefined;
        }, 10_000, 'the first attempt');
      };
      const untrusted = await deliveryTo(idp);
      assert.equal(untrusted.status, 'retrying');
      assert.match(untrusted.last_error, /certificate|self.signed/i);
      const port = await freePort();
      const trusting = await startIdp({ port, issuer: `https://localhost:${port}`, tls: tls.files, logout: { backchannel: { ca_file: tls.files.cert_file } } });
      try {
        assert.equal((await deliveryTo(trusting)).status, 'delivered');
      } finally {
        await trusting.close();
      }
    } finally {
      endpoint.close();
    }
  });
});
