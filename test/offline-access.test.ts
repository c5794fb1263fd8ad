import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as client from 'openid-client';
import { startIdp, testClient } from '../harness/idp.ts';
import { signIn } from '../harness/rp.ts';
import { UserAgent } from '../harness/user-agent.ts';

describe('offline access and logout', () => {
  it('revokes refresh tokens by default, and keeps offline access for a client that opted in', async () => {
    const idp = await startIdp({ clients: [testClient('keeps', { offline_access_survives_logout: true }), testClient('default')] });
    try {
      const ua = new UserAgent();
      const extra = { scope: 'openid offline_access', prompt: 'consent' };
      const keeps = await signIn(ua, idp.issuer, testClient('keeps'), { extra });
      const plain = await signIn(ua, idp.issuer, testClient('default'), { extra });
      assert.ok(keeps.tokens.refresh_token && plain.tokens.refresh_token);
      await ua.fetch(`${idp.issuer}/v2/logout`);
      assert.deepEqual(await (await ua.fetch(`${idp.issuer}/user/ssodata`)).json(), { sso: false });
      const refreshed = await client.refreshTokenGrant(keeps.config, keeps.tokens.refresh_token!);
      assert.ok(refreshed.access_token, 'offline access survived the logout');
      await assert.rejects(client.refreshTokenGrant(plain.config, plain.tokens.refresh_token!), (err: any) => err.error === 'invalid_grant');
    } finally {
      await idp.close();
    }
  });
});
