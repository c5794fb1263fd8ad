import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort, startIdp, testClient, type TestIdp } from '../harness/idp.ts';
import { signIn } from '../harness/rp.ts';
import { trustedLocalhostTls } from '../harness/tls.ts';
import { UserAgent } from '../harness/user-agent.ts';
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
});
