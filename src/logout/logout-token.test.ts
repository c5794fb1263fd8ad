import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exportJWK, generateKeyPair, jwtVerify, type JWK } from 'jose';
import { BACKCHANNEL_LOGOUT_EVENT, logoutTokenSigner } from './logout-token.ts';

describe('logout tokens', () => {
  it('are fresh each time, verify as an RP verifies them, and carry sid as the client asks', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const sign = await logoutTokenSigner('https://idp.example', { ...(await exportJWK(privateKey)), alg: 'ES256', kid: 'k1' } as JWK);
    const subject = { client_id: 'app', sub: 'user-1', sid: 'sid-1', include_sid: false };
    const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => sign({ ...subject, include_sid: i % 2 === 0 })));
    const verified = await Promise.all(tokens.map((t) => jwtVerify(t, publicKey, { issuer: 'https://idp.example', audience: 'app', typ: 'logout+jwt' })));
    assert.equal(new Set(verified.map((v) => v.payload.jti)).size, 20, 'a new jti for every token');
    verified.forEach((v, i) => {
      assert.equal(v.protectedHeader.kid, 'k1');
      assert.deepEqual(v.payload.events, { [BACKCHANNEL_LOGOUT_EVENT]: {} });
      assert.equal(v.payload.sub, 'user-1');
      assert.equal(v.payload.sid, i % 2 === 0 ? 'sid-1' : undefined);
      assert.equal('nonce' in v.payload, false);
      assert.ok(v.payload.exp! > v.payload.iat!);
    });
    // without a sub, the sid names the session whatever the client asked
    const sidOnly = await sign({ client_id: 'app', sub: null, sid: 'sid-2', include_sid: false });
    assert.equal((await jwtVerify(sidOnly, publicKey)).payload.sid, 'sid-2');
  });

  it('refuses a key it cannot sign logout tokens with', async () => {
    const { privateKey } = await generateKeyPair('PS256', { extractable: true });
    await assert.rejects(logoutTokenSigner('https://idp.example', { ...(await exportJWK(privateKey)), alg: 'PS256' } as JWK), /cannot be signed with PS256/);
  });
});
