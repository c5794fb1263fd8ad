import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exportJWK, generateKeyPair, jwtVerify, type JWK } from 'jose';
import { BACKCHANNEL_LOGOUT_EVENT, logoutTokenSigner } from './logout-token.ts';

describe('logout tokens', () => {
  it('are fresh each time, verify as an RP verifies them, and carry sub and sid whenever the session has them', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const sign = await logoutTokenSigner('https://idp.example', [{ ...(await exportJWK(privateKey)), alg: 'ES256', kid: 'k1' } as JWK], 'ES256');
    const subject = { client_id: 'app', sub: 'user-1', sid: 'sid-1' };
    const tokens = await Promise.all(Array.from({ length: 20 }, () => sign(subject)));
    const verified = await Promise.all(tokens.map((t) => jwtVerify(t, publicKey, { issuer: 'https://idp.example', audience: 'app', typ: 'logout+jwt' })));
    assert.equal(new Set(verified.map((v) => v.payload.jti)).size, 20, 'a new jti for every token');
    verified.forEach((v) => {
      assert.equal(v.protectedHeader.kid, 'k1');
      assert.deepEqual(v.payload.events, { [BACKCHANNEL_LOGOUT_EVENT]: {} });
      assert.equal(v.payload.sub, 'user-1');
      assert.equal(v.payload.sid, 'sid-1');
      assert.equal('nonce' in v.payload, false);
      assert.ok(v.payload.exp! > v.payload.iat!);
    });
    const sidOnly = (await jwtVerify(await sign({ client_id: 'app', sub: null, sid: 'sid-2' }), publicKey)).payload;
    assert.equal(sidOnly.sid, 'sid-2');
    assert.equal('sub' in sidOnly, false);
    const subOnly = (await jwtVerify(await sign({ client_id: 'app', sub: 'user-1', sid: null }), publicKey)).payload;
    assert.equal('sid' in subOnly, false);
  });

  it('refuses a key it cannot sign logout tokens with', async () => {
    const { privateKey } = await generateKeyPair('PS256', { extractable: true });
    await assert.rejects(logoutTokenSigner('https://idp.example', [{ ...(await exportJWK(privateKey)), alg: 'PS256' } as JWK], 'PS256'), /cannot be signed with PS256/);
  });

  it("are signed with the newest key of the client's algorithm, the default one otherwise", async () => {
    const pairs = await Promise.all((['RS256', 'ES256', 'RS256'] as const).map((alg) => generateKeyPair(alg, { extractable: true })));
    const jwks = await Promise.all(pairs.map(async (p, i) => ({ ...(await exportJWK(p.privateKey)), alg: i === 1 ? 'ES256' : 'RS256', kid: `k${i}` } as JWK)));
    const sign = await logoutTokenSigner('https://idp.example', jwks, 'RS256');
    const header = (t: string) => JSON.parse(Buffer.from(t.split('.')[0]!, 'base64url').toString()) as { alg: string; kid: string };
    const subject = { client_id: 'app', sub: 'u', sid: 's' };
    assert.deepEqual(header(await sign(subject)), { alg: 'RS256', kid: 'k0', typ: 'logout+jwt' });
    const es = await sign({ ...subject, channel_params: { signing_alg: 'ES256' } });
    assert.deepEqual(header(es), { alg: 'ES256', kid: 'k1', typ: 'logout+jwt' });
    await jwtVerify(es, pairs[1]!.publicKey, { issuer: 'https://idp.example', audience: 'app' });
    await assert.rejects(logoutTokenSigner('https://idp.example', [jwks[1]!], 'RS256'), /no RS256 key/);
  });
});
