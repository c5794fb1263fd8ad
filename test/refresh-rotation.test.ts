import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as client from 'openid-client';
import { startIdp, testClient, type TestIdp } from '../harness/idp.ts';
import { createTestDatabase } from '../harness/pg.ts';
import { signIn } from '../harness/rp.ts';
import { UserAgent } from '../harness/user-agent.ts';

const { client_secret: _, ...spa } = testClient('spa', { token_endpoint_auth_method: 'none' });
const web = testClient('web');
const invalidGrant = (err: any) => err.error === 'invalid_grant';

describe('refresh token rotation with reuse detection', () => {
  let idp: TestIdp;
  before(async () => { idp = await startIdp({ clients: [spa, web] }); });
  after(() => idp.close());

  it('a public client gets a new refresh token on every use, and the old one is dead', async () => {
    const s = await signIn(new UserAgent(), idp.issuer, spa);
    const first = s.tokens.refresh_token!;
    const second = await client.refreshTokenGrant(s.config, first);
    assert.ok(second.refresh_token && second.refresh_token !== first);
    const third = await client.refreshTokenGrant(s.config, second.refresh_token!);
    assert.ok(third.refresh_token && third.refresh_token !== second.refresh_token);
  });

  it('reusing a rotated refresh token revokes the whole family: the newest refresh token and its access token too', async () => {
    const s = await signIn(new UserAgent(), idp.issuer, spa);
    const stolen = s.tokens.refresh_token!;
    const legit = await client.refreshTokenGrant(s.config, stolen);
    await assert.rejects(client.refreshTokenGrant(s.config, stolen), invalidGrant, 'the replay is refused');
    await assert.rejects(client.refreshTokenGrant(s.config, legit.refresh_token!), invalidGrant, 'and the family is revoked');
    await assert.rejects(client.fetchUserInfo(s.config, legit.access_token, s.claims.sub as string), 'its access token no longer works');
  });

  it('a confidential client keeps its refresh token by default', async () => {
    const s = await signIn(new UserAgent(), idp.issuer, web);
    const refreshed = await client.refreshTokenGrant(s.config, s.tokens.refresh_token!);
    assert.equal(refreshed.refresh_token ?? s.tokens.refresh_token, s.tokens.refresh_token);
  });
});

describe('parallel uses of one refresh token (PostgreSQL: the requests really overlap)', () => {
  it('at most one succeeds, the others get invalid_grant, and the family is revoked', async () => {
    const db = await createTestDatabase();
    const idp = await startIdp({ clients: [spa], storage: { kind: 'postgres', url: db.url } });
    try {
      for (let round = 0; round < 3; round++) {
        const s = await signIn(new UserAgent(), idp.issuer, spa);
        const results = await Promise.allSettled(Array.from({ length: 8 }, () => client.refreshTokenGrant(s.config, s.tokens.refresh_token!)));
        const won = results.filter((r): r is PromiseFulfilledResult<any> => r.status === 'fulfilled');
        assert.ok(won.length <= 1, `${won.length} parallel uses succeeded`);
        for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as any).error, 'invalid_grant');
        for (const w of won) await assert.rejects(client.refreshTokenGrant(s.config, w.value.refresh_token), invalidGrant);
      }
    } finally {
      await idp.close();
      await db.drop();
    }
  });
});

describe('refresh_token_rotation: all_clients', () => {
  it('rotates a confidential client\'s refresh token too, with the same reuse detection', async () => {
    const idp = await startIdp({ refresh_token_rotation: 'all_clients' });
    try {
      const s = await signIn(new UserAgent(), idp.issuer, testClient('app1'));
      const next = await client.refreshTokenGrant(s.config, s.tokens.refresh_token!);
      assert.ok(next.refresh_token && next.refresh_token !== s.tokens.refresh_token);
      await assert.rejects(client.refreshTokenGrant(s.config, s.tokens.refresh_token!), invalidGrant);
      await assert.rejects(client.refreshTokenGrant(s.config, next.refresh_token!), invalidGrant);
    } finally {
      await idp.close();
    }
  });
});
