import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exportJWK, generateKeyPair, jwtVerify, type JWK } from 'jose';
import { BACKCHANNEL_LOGOUT_EVENT, logoutTokenSigner } from './logout-token.ts';
import { SigningThread } from './signing-thread.ts';

async function keys() {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { privateJwk: { ...(await exportJWK(privateKey)), alg: 'ES256', kid: 'k1' } as JWK, publicKey };
}

describe('logout tokens', () => {
  it('are signed on the signing thread, fresh each time, with sid as the client asks', async () => {
    const { privateJwk, publicKey } = await keys();
    const signer = await logoutTokenSigner('https://idp.example', privateJwk);
    try {
      const subject = { client_id: 'app', sub: 'user-1', sid: 'sid-1', include_sid: false };
      const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => signer.sign({ ...subject, include_sid: i % 2 === 0 })));
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
      const sidOnly = await signer.sign({ client_id: 'app', sub: null, sid: 'sid-2', include_sid: false });
      assert.equal((await jwtVerify(sidOnly, publicKey)).payload.sid, 'sid-2');
    } finally {
      await signer.close();
    }
  });

  it('are still signed after the signing thread is gone', async () => {
    const { privateJwk, publicKey } = await keys();
    const signer = await logoutTokenSigner('https://idp.example', privateJwk);
    await signer.close();
    const token = await signer.sign({ client_id: 'app', sub: 'user-1', sid: null, include_sid: false });
    assert.equal((await jwtVerify(token, publicKey, { audience: 'app' })).payload.sub, 'user-1');
  });

  it('a signing thread that cannot start fails what it holds and then declines', async () => {
    const thread = new SigningThread({ kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA', d: 'AA' }, 'sha256', true);
    await assert.rejects(thread.sign('header.payload')!);
    assert.equal(thread.sign('header.payload'), undefined, 'the caller signs elsewhere');
    await thread.stop();
  });
});
