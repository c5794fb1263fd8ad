import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { createTestDatabase } from '../harness/pg.ts';
import type { ClientMetadata } from '../src/clients/metadata.ts';
import { migrationProvider } from '../src/storage/migrations.ts';
import { openStorage, type StorageConfig } from '../src/storage/open.ts';
import { Sqlite as BetterSqlite3 } from '../src/storage/sqlite-driver.ts';
import { UniqueViolation, type Delivery, type LogoutPlan, type SsoSessionRecord, type Storage } from '../src/storage/types.ts';

const now = () => Math.floor(Date.now() / 1000);

/** Client metadata as registration would have stored it (redirect_uris is required). */
const client = (client_id: string, extra: Partial<ClientMetadata> = {}): ClientMetadata => ({ client_id, redirect_uris: ['http://localhost:9/cb'], ...extra });

interface Backend { name: string; open(): Promise<{ config: StorageConfig; cleanup(): Promise<void> }> }

const backends: Backend[] = [
  {
    name: 'sqlite',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'adieu-storage-'));
      return { config: { kind: 'sqlite', path: join(dir, 'test.db') }, async cleanup() { rmSync(dir, { recursive: true, force: true }); } };
    },
  },
  {
    name: 'postgres',
    async open() {
      const db = await createTestDatabase();
      return { config: { kind: 'postgres', url: db.url }, cleanup: db.drop };
    },
  },
];

function session(uid: string, accountId: string, extra: Partial<SsoSessionRecord> = {}): SsoSessionRecord {
  const t = now();
  return {
    uid, account_id: accountId, username: 'mary', connection: { name: 'db', strategy: 'auth0' },
    clients: [{ client_id: 'a', sid: 's1', first_at: t, last_at: t }], last_used_client_id: 'a', upstream: null,
    created_at: t, updated_at: t, expires_at: t + 3600, ...extra,
  };
}

function plan(logoutId: string, uid: string, deliveries: Partial<Delivery>[]): LogoutPlan {
  const t = Date.now();
  return {
    record: { id: logoutId, trigger: 'admin', account_id: 'acct', username: 'mary', session_uid: uid, status: 'in_progress', return_to: null, page_token: 'tok', actor: 'token:admin', created_at: t, completed_at: null },
    deliveries: deliveries.map((d, i) => ({
      id: `${logoutId}-d${i}`, logout_id: logoutId, position: i, client_id: `c${i}`, client_name: null, channel: 'backchannel',
      target: 'http://127.0.0.1:9/bcl', sid: 'sid', sub: 'acct', include_sid: true, channel_params: null, status: 'pending', attempts: 0,
      last_error: null, latency_ms: null, next_attempt_at: t, deadline_at: t + 60_000, created_at: t, updated_at: t, completed_at: null,
      ...d,
    })),
  };
}

for (const backend of backends) {
  describe(`storage suite on ${backend.name}`, () => {
    let storage: Storage;
    let config: StorageConfig;
    let cleanup: () => Promise<void>;
    before(async () => {
      ({ config, cleanup } = await backend.open());
      storage = await openStorage(config);
    });
    after(async () => {
      await storage.close();
      await cleanup();
    });

    it('migrations are idempotent and survive reopening', async () => {
      await storage.migrate();
      await storage.putClient('persist', client('persist'), 'api');
      await storage.close();
      storage = await openStorage(config);
      assert.equal((await storage.getClient('persist'))?.metadata.client_id, 'persist');
    });

    it('stores oidc-provider payloads with expiry, consumption and secondary indexes', async () => {
      await storage.upsertPayload('AccessToken', 'at1', { grantId: 'g1', accountId: 'u1', jti: 'at1' }, now() + 60);
      await storage.upsertPayload('AccessToken', 'at-old', { grantId: 'g0' }, now() - 1);
      await storage.upsertPayload('Session', 'sess1', { uid: 'uid1', accountId: 'u1' }, null);
      await storage.upsertPayload('DeviceCode', 'dc1', { userCode: 'ABCD-EFGH' }, now() + 60);
      assert.deepEqual(await storage.findPayload('AccessToken', 'at1'), { grantId: 'g1', accountId: 'u1', jti: 'at1' });
      assert.equal(await storage.findPayload('AccessToken', 'at-old'), undefined, 'expired payloads are not found');
      assert.equal(await storage.findPayload('RefreshToken', 'at1'), undefined, 'models are separate');
      assert.deepEqual(await storage.findPayloadBy('Session', 'uid', 'uid1'), { uid: 'uid1', accountId: 'u1' });
      assert.deepEqual(await storage.findPayloadBy('DeviceCode', 'user_code', 'ABCD-EFGH'), { userCode: 'ABCD-EFGH' });

      assert.equal(await storage.consumePayload('AccessToken', 'at1', 1234), true);
      assert.equal(await storage.consumePayload('AccessToken', 'at1', 1300), false, 'consumed once: the second use is told');
      assert.equal((await storage.findPayload('AccessToken', 'at1'))?.consumed, 1234);

      await storage.upsertPayload('AccessToken', 'at1', { grantId: 'g1', changed: true }, now() + 60);
      assert.equal((await storage.findPayload('AccessToken', 'at1'))?.changed, true, 'upsert replaces');

      await storage.revokeByGrantId('AccessToken', 'g1');
      assert.equal(await storage.findPayload('AccessToken', 'at1'), undefined);
      await storage.destroyPayload('Session', 'sess1');
      assert.equal(await storage.findPayloadBy('Session', 'uid', 'uid1'), undefined);
      assert.ok(await storage.sweepExpiredPayloads(now(), 1000) >= 1, 'the expired token is swept');
    });

    it('counts failed sign-ins atomically per key, restarting the window of a key when it is over', async () => {
      const t = Date.now();
      await Promise.all(Array.from({ length: 12 }, () => storage.recordLoginFailure(['k:a', 'k:b'], t, 60_000)));
      assert.deepEqual((await storage.getLoginFailures(['k:a', 'k:b', 'k:none'])).map((r) => [r.key, r.failures]).sort(), [['k:a', 12], ['k:b', 12]]);
      const [restarted] = await storage.recordLoginFailure(['k:a'], t + 60_001, 60_000);
      assert.deepEqual([restarted!.failures, restarted!.window_started_at], [1, t + 60_001]);
      await storage.clearLoginFailures(['k:a']);
      assert.deepEqual((await storage.getLoginFailures(['k:a', 'k:b'])).map((r) => r.key), ['k:b']);
      assert.equal(await storage.pruneLoginFailures(t + 1, 100), 1);
      assert.deepEqual(await storage.getLoginFailures(['k:b']), []);
    });

    it('finds users by upstream identity; an identity belongs to one user', async () => {
      const user = { id: 'fed-1', connection: 'up', username: 'sub-1', email: 'x@example.com', password_hash: null, profile: {}, roles: [], created_at: now(), updated_at: now() };
      await storage.linkIdentity('up', 'sub-1', user, { create: true });
      assert.equal((await storage.findUserByIdentity('up', 'sub-1'))?.id, 'fed-1');
      assert.equal(await storage.findUserByIdentity('other', 'sub-1'), undefined);
      await assert.rejects(storage.linkIdentity('up', 'sub-1', { ...user, id: 'fed-2', username: 'sub-1b' }, { create: true }), UniqueViolation);
      assert.equal(await storage.getUser('fed-2'), undefined, 'the user is not created without its identity');
      assert.deepEqual((await storage.findUsersByEmail('x@example.com', 5)).map((u) => u.id), ['fed-1']);
      assert.equal(await storage.deleteUser('fed-1'), true);
      assert.equal(await storage.findUserByIdentity('up', 'sub-1'), undefined, 'identities go with their user');
    });

    it('sweeps expired provider Sessions no SSO record holds, in bounded batches, and leaves the rest', async () => {
      const past = now() - 10;
      for (let i = 0; i < 5; i++) await storage.upsertPayload('Session', `anon-${i}`, { uid: `anon-uid-${i}`, exp: past }, past);
      await storage.upsertPayload('Session', 'held', { uid: 'held-uid', accountId: 'acct', exp: past }, past);
      await storage.saveSsoSession(session('held-uid', 'acct'));
      await storage.upsertPayload('Session', 'live', { uid: 'live-uid' }, now() + 600);
      assert.equal(await storage.sweepExpiredPayloads(now(), 3), 3, 'a batch is bounded');
      assert.equal(await storage.sweepExpiredPayloads(now(), 1000), 2);
      assert.equal(await storage.sweepExpiredPayloads(now(), 1000), 0, 'the held one (6th expired) is left: an SSO session ends through endSession');
      for (let i = 0; i < 5; i++) assert.equal(await storage.findPayload('Session', `anon-${i}`), undefined);
      assert.ok(await storage.findPayload('Session', 'live'));
      assert.ok((await storage.endSession('held-uid')).session, 'endSession still finds it');
    });

    it('prunes completed logout records past retention with their deliveries, never an open one', async () => {
      const day_ms = 24 * 3600 * 1000;
      const old = Date.now() - 40 * day_ms;
      const aged = (id: string, done: boolean) => {
        // the open one awaits a browser: not a back-channel row the outbox tests below count
        const p = plan(id, `${id}-uid`, [{ created_at: old, ...(done ? { status: 'delivered', completed_at: old } : { channel: 'frontchannel', status: 'awaiting_browser' }) }]);
        return { ...p, record: { ...p.record, created_at: old, ...(done ? { status: 'completed' as const, completed_at: old } : {}) } };
      };
      for (const [id, done] of [['prune-old', true], ['prune-open', false]] as const) {
        await storage.saveSsoSession(session(`${id}-uid`, 'acct'));
        await storage.endSession(`${id}-uid`, () => aged(id, done));
      }
      await storage.saveSsoSession(session('prune-new-uid', 'acct'));
      await storage.endSession('prune-new-uid', () => plan('prune-new', 'prune-new-uid', [{ status: 'delivered', completed_at: Date.now() }]));
      await storage.completeLogoutIfDone('prune-new', Date.now());
      assert.equal(await storage.pruneLogouts(Date.now() - 30 * day_ms, 100), 1);
      assert.equal(await storage.getLogout('prune-old'), undefined);
      assert.ok(await storage.getLogout('prune-open'), 'a logout still delivering is kept');
      assert.ok(await storage.getLogout('prune-new'), 'a recent logout is kept');
      assert.equal(await storage.pruneLogouts(Date.now() - 30 * day_ms, 100), 0);
    });

    it('creates, lists, replaces and deletes clients', async () => {
      assert.equal(await storage.putClient('c1', client('c1', { client_name: 'One' }), 'config'), true);
      assert.equal(await storage.putClient('c1', client('c1', { client_name: 'Uno' }), 'api'), false);
      const c1 = await storage.getClient('c1');
      assert.equal(c1?.metadata.client_name, 'Uno');
      assert.equal(c1?.source, 'api');
      assert.ok((await storage.listClients()).some((c) => c.client_id === 'c1'));
      assert.equal(await storage.deleteClient('c1'), true);
      assert.equal(await storage.deleteClient('c1'), false);
      assert.equal(await storage.getClient('c1'), undefined);
    });

    it('looks web origins up across clients, following updates and deletions', async () => {
      await storage.putClient('w1', client('w1', { web_origins: ['https://a.example', 'https://shared.example'] }), 'api');
      await storage.putClient('w2', client('w2', { web_origins: ['https://shared.example'] }), 'api');
      assert.equal(await storage.isWebOrigin('https://a.example'), true);
      assert.equal(await storage.isWebOrigin('https://a.example.evil'), false);
      await storage.putClient('w1', client('w1', { web_origins: ['https://b.example'] }), 'api');
      assert.equal(await storage.isWebOrigin('https://a.example'), false, 'an origin removed by an update');
      assert.equal(await storage.isWebOrigin('https://b.example'), true);
      await storage.deleteClient('w1');
      assert.equal(await storage.isWebOrigin('https://b.example'), false, 'an origin removed with its client');
      assert.equal(await storage.isWebOrigin('https://shared.example'), true, 'still listed by w2');
      await storage.deleteClient('w2');
      assert.equal(await storage.isWebOrigin('https://shared.example'), false);
    });

    it('keeps usernames unique per connection', async () => {
      const base = { email: null, password_hash: 'h', profile: { name: 'M' }, roles: ['admin'], created_at: now(), updated_at: now() };
      await storage.createUser({ id: 'u1', connection: 'db', username: 'mary', ...base });
      await storage.createUser({ id: 'u2', connection: 'other', username: 'mary', ...base });
      await assert.rejects(storage.createUser({ id: 'u3', connection: 'db', username: 'mary', ...base }), UniqueViolation);
      assert.equal((await storage.findUser('db', 'mary'))?.id, 'u1');
      assert.deepEqual((await storage.getUser('u1'))?.profile, { name: 'M' });
      assert.equal((await storage.listUsers({ connection: 'db', limit: 10, offset: 0 })).length, 1);
      assert.equal((await storage.listUsers({ limit: 1, offset: 1 })).length, 1);
      const updated = await storage.updateUser('u1', { email: 'm@x.test', profile: { name: 'Mary' } });
      assert.equal(updated?.email, 'm@x.test');
      assert.equal(updated?.profile.name, 'Mary');
      await storage.createUser({ id: 'u4', connection: 'db', username: 'john', ...base });
      await assert.rejects(storage.updateUser('u4', { username: 'mary' }), UniqueViolation);
      assert.equal(await storage.deleteUser('u4'), true);
      assert.equal(await storage.getUser('u4'), undefined);
    });

    it('stores connections, signing keys and first-writer-wins settings', async () => {
      await storage.putConnection({ name: 'FabrikamAD', type: 'oidc', strategy: 'ad', options: { issuer: 'http://x' } });
      await storage.putConnection({ name: 'FabrikamAD', type: 'oidc', strategy: 'ad', options: { issuer: 'http://y' } });
      assert.deepEqual((await storage.listConnections()).find((c) => c.name === 'FabrikamAD')?.options, { issuer: 'http://y' });
      await storage.addSigningKey({ kid: 'k1', alg: 'ES256', private_jwk: { kty: 'EC' }, created_at: 100, retired_at: null });
      await storage.addSigningKey({ kid: 'k2', alg: 'ES256', private_jwk: { kty: 'EC' }, created_at: 200, retired_at: null });
      assert.deepEqual((await storage.listSigningKeys()).map((k) => k.kid), ['k2', 'k1'], 'newest first');
      assert.equal(await storage.setSettingIfAbsent('cookie_key', 'first'), 'first');
      assert.equal(await storage.setSettingIfAbsent('cookie_key', 'second'), 'first');
      assert.equal(await storage.getSetting('missing'), undefined);
    });

    it('indexes SSO sessions by account and ends them atomically with their grants', async () => {
      await storage.saveSsoSession(session('s1', 'acct'));
      await storage.saveSsoSession(session('s2', 'acct', { upstream: { connection: 'FabrikamAD', id_token: 'x.y.z' } }));
      await storage.saveSsoSession(session('s3', 'other'));
      await storage.saveSsoSession(session('s-expired', 'acct', { expires_at: now() - 10 }));
      assert.deepEqual((await storage.listSsoSessions('acct', now())).map((s) => s.uid).sort(), ['s1', 's2']);
      assert.deepEqual((await storage.getSsoSession('s2'))?.upstream, { connection: 'FabrikamAD', id_token: 'x.y.z' });
      assert.deepEqual((await storage.listExpiredSsoSessions(now(), 10)).map((s) => s.uid), ['s-expired']);

      const updated = session('s1', 'acct', { last_used_client_id: 'b' });
      updated.clients.push({ client_id: 'b', sid: 's2', first_at: now(), last_at: now() });
      await storage.saveSsoSession(updated);
      assert.deepEqual((await storage.getSsoSession('s1'))?.clients.map((c) => c.client_id), ['a', 'b']);

      // oidc-provider's Session with two grants, one that persists logout (offline access kept)
      await storage.upsertPayload('Session', 'jti-1', {
        uid: 's1', accountId: 'acct',
        authorizations: { a: { sid: 's1a', grantId: 'ga' }, b: { sid: 's1b', grantId: 'gb', persistsLogout: true } },
      }, now() + 3600);
      for (const g of ['ga', 'gb']) {
        await storage.upsertPayload('Grant', g, { accountId: 'acct' }, now() + 3600);
        await storage.upsertPayload('RefreshToken', `rt-${g}`, { grantId: g }, now() + 3600);
        await storage.upsertPayload('AccessToken', `at-${g}`, { grantId: g }, now() + 3600);
      }
      await storage.putClient('a', client('a', { client_name: 'App A' }), 'api');
      await storage.putClient('unrelated', client('unrelated'), 'api');
      const ended = await storage.endSession('s1');
      assert.equal(ended.record?.uid, 's1');
      // the planner gets the session's clients as registered when it ended; 'b' is not registered
      assert.deepEqual([...ended.clientMetadata], [['a', client('a', { client_name: 'App A' })]]);
      assert.deepEqual(Object.keys((ended.session?.authorizations as object) ?? {}), ['a', 'b']);
      assert.deepEqual(ended.revokedGrantIds, ['ga']);
      assert.equal(await storage.getSsoSession('s1'), undefined);
      assert.equal(await storage.findPayloadBy('Session', 'uid', 's1'), undefined);
      assert.equal(await storage.findPayload('Grant', 'ga'), undefined);
      assert.equal(await storage.findPayload('RefreshToken', 'rt-ga'), undefined);
      assert.equal(await storage.findPayload('AccessToken', 'at-ga'), undefined);
      assert.ok(await storage.findPayload('RefreshToken', 'rt-gb'), 'persistsLogout grant keeps its tokens');
      assert.ok(await storage.getSsoSession('s2'), 'other sessions untouched');

      const again = await storage.endSession('s1');
      assert.equal(again.record, undefined);
      assert.equal(again.session, undefined);
    });
  
    it('keeps roles on users and finds users by id, username prefix or email prefix', async () => {
      const base = { connection: 'db', password_hash: null, profile: {}, roles: [], created_at: now(), updated_at: now() };
      await storage.createUser({ ...base, id: 's-1', username: 'sarah', email: 'sarah@contoso.test' });
      await storage.createUser({ ...base, id: 's-2', username: 'sam', email: 'boss@contoso.test', roles: ['admin'] });
      await storage.createUser({ ...base, id: 's-3', username: 'tom', email: null });
      assert.deepEqual((await storage.getUser('s-2'))?.roles, ['admin']);
      assert.deepEqual((await storage.updateUser('s-3', { roles: ['auditor'] }))?.roles, ['auditor']);
      assert.deepEqual((await storage.searchUsers('sa', 10)).map((u) => u.id).sort(), ['s-1', 's-2']);
      assert.deepEqual((await storage.searchUsers('boss@', 10)).map((u) => u.id), ['s-2']);
      assert.deepEqual((await storage.searchUsers('s-3', 10)).map((u) => u.id), ['s-3']);
      assert.deepEqual(await storage.searchUsers('zz', 10), []);
      assert.equal((await storage.searchUsers('s', 1)).length, 1, 'at most limit');
    });

    it('appends the audit log and lists it newest first, filtered and paged by time', async () => {
      const t = Date.now();
      for (let i = 0; i < 5; i++) {
        await storage.appendAudit({ id: `a${i}`, at: t + i, actor: i % 2 ? 'user:u1' : 'client:ops', action: i < 3 ? 'session.end' : 'client.update', target: `/x/${i}`, status: 200, detail: i === 4 ? { field: 'name' } : null });
      }
      const all = await storage.listAudit({ limit: 10 });
      assert.deepEqual(all.map((e) => e.id), ['a4', 'a3', 'a2', 'a1', 'a0']);
      assert.deepEqual(all[0]!.detail, { field: 'name' });
      assert.deepEqual((await storage.listAudit({ actor: 'user:u1', limit: 10 })).map((e) => e.id), ['a3', 'a1']);
      assert.deepEqual((await storage.listAudit({ action: 'session.end', limit: 2 })).map((e) => e.id), ['a2', 'a1']);
      assert.deepEqual((await storage.listAudit({ before: { at: t + 2, id: 'a2' }, limit: 10 })).map((e) => e.id), ['a1', 'a0']);
      await storage.appendAudit({ id: 'a1b', at: t + 1, actor: 'user:u1', action: 'x', target: null, status: 204, detail: null });
      assert.deepEqual((await storage.listAudit({ before: { at: t + 1, id: 'a1b' }, limit: 10 })).map((e) => e.id), ['a1', 'a0'], 'same time: by id');
    });

    it('counts live sessions and logouts by trigger, lists final deliveries, and retries or cancels one', async () => {
      const before = await storage.countLiveSsoSessions(now());
      await storage.saveSsoSession(session('adm-1', 'acct'));
      await storage.saveSsoSession(session('adm-2', 'acct', { expires_at: now() - 1 }));
      assert.equal(await storage.countLiveSsoSessions(now()), before + 1);
      const since = Date.now() - 1;
      await storage.endSession('adm-1', () => plan('LA', 'adm-1', [
        { status: 'failed', last_error: 'refused', attempts: 3, completed_at: Date.now(), latency_ms: 40 },
        { status: 'delivered', completed_at: Date.now(), latency_ms: 12 },
        { status: 'retrying', attempts: 1, next_attempt_at: Date.now() + 60_000 },
      ]));
      assert.equal((await storage.countLogoutsByTrigger(since)).admin, 1);
      const final = await storage.listFinalDeliveries(since);
      assert.deepEqual(final.map((d) => [d.client_id, d.status, d.latency_ms]).sort(), [['c0', 'failed', 40], ['c1', 'delivered', 12]]);
      assert.deepEqual((await storage.listFinalDeliveries(since, ['c1'])).map((d) => d.client_id), ['c1']);
      assert.deepEqual((await storage.listLogoutsOfSession('adm-1')).map((l) => l.id), ['LA']);

      assert.equal(await storage.retryDelivery('LA-d1', Date.now(), Date.now() + 1000, 'user:u1'), undefined, 'a delivered one is not retried');
      const retried = await storage.retryDelivery('LA-d0', Date.now(), Date.now() + 5000, 'user:u1');
      assert.equal(retried?.status, 'retrying');
      assert.equal(retried?.completed_at, null);
      assert.equal((await storage.claimDeliveries('n1', Date.now(), 1000, 10)).some((d) => d.id === 'LA-d0'), true, 'due now');
      await storage.finishAttempts('n1', [{ id: 'LA-d0', outcome: { status: 'delivered', attempts: 4, last_error: null, next_attempt_at: Date.now(), completed_at: Date.now() } }]);

      const cancelled = await storage.cancelDelivery('LA-d2', 'cancelled by user:u1', Date.now());
      assert.equal(cancelled?.status, 'skipped');
      assert.equal(cancelled?.last_error, 'cancelled by user:u1');
      assert.equal(await storage.cancelDelivery('LA-d1', 'x', Date.now()), undefined, 'a final one stays');
      // the history: the admin's retry, the attempt it led to, the cancellation
      const events = await storage.listDeliveryEvents('LA');
      assert.deepEqual(events.filter((e) => e.delivery_id === 'LA-d0').map((e) => [e.event, e.status, e.detail]), [['retry', 'retrying', 'user:u1'], ['attempt', 'delivered', null]]);
      assert.deepEqual(events.filter((e) => e.delivery_id === 'LA-d2').map((e) => [e.event, e.status, e.detail]), [['cancel', 'skipped', 'cancelled by user:u1']]);
      assert.ok(await storage.completeLogoutIfDone('LA', Date.now()));
      assert.equal(await storage.pruneLogouts(Date.now() + 1, 10) >= 1, true);
      assert.deepEqual(await storage.listDeliveryEvents('LA'), [], 'pruned with their logout');
    });

    it('writes the logout outbox in the transaction that ends the session', async () => {
      await storage.saveSsoSession(session('outbox-1', 'acct'));
      const params = { name_id: { value: 'mary@fabrikamcorp.com', format: 'email' as const } };
      const ended = await storage.endSession('outbox-1', () => plan('L1', 'outbox-1', [{}, { channel: 'frontchannel', status: 'awaiting_browser' }, { channel: 'none', status: 'no_channel', completed_at: Date.now() }, { channel: 'saml_soap', channel_params: params, status: 'delivered', completed_at: Date.now() }]));
      assert.equal(ended.logout?.record.id, 'L1');
      const stored = await storage.getLogout('L1');
      assert.deepEqual(stored?.deliveries.map((d) => [d.client_id, d.channel, d.status, d.include_sid, d.channel_params]), [
        ['c0', 'backchannel', 'pending', true, null], ['c1', 'frontchannel', 'awaiting_browser', true, null], ['c2', 'none', 'no_channel', true, null],
        ['c3', 'saml_soap', 'delivered', true, params],
      ]);
      // a session that is already gone writes nothing
      const again = await storage.endSession('outbox-1', () => plan('L1-again', 'outbox-1', [{}]));
      assert.equal(again.logout, undefined);
      assert.equal(await storage.getLogout('L1-again'), undefined);
    });

    it('ends several sessions in one transaction, each with its own grants, logout and deliveries, skipping those gone', async () => {
      for (const k of [1, 2, 3]) {
        await storage.saveSsoSession(session(`batch-${k}`, `acct-${k}`));
        await storage.upsertPayload('Session', `batch-j${k}`, { uid: `batch-${k}`, accountId: `acct-${k}`, authorizations: { a: { sid: `s${k}`, grantId: `batch-g${k}` } } }, now() + 3600);
        await storage.upsertPayload('Grant', `batch-g${k}`, { accountId: `acct-${k}` }, now() + 3600);
        await storage.upsertPayload('AccessToken', `batch-at${k}`, { grantId: `batch-g${k}` }, now() + 3600);
      }
      await storage.putClient('a', client('a', { client_name: 'App A' }), 'api');
      const planned: string[] = [];
      // final already: the outbox tests after this one count what is waiting
      const done = { status: 'delivered' as const, completed_at: Date.now() };
      const ended = await storage.endSessions(['batch-2', 'batch-gone', 'batch-1'].map((uid) => ({
        uid, plan: (e) => { planned.push(uid); return plan(`LB-${uid}`, uid, [{ client_id: [...e.clientMetadata.keys()][0]!, ...done }, done]); },
      })));
      assert.deepEqual(planned, ['batch-2', 'batch-1'], 'a gone session is not planned');
      assert.deepEqual(ended.map((e) => e.record?.uid), ['batch-2', undefined, 'batch-1'], 'in the order given');
      assert.deepEqual(ended.map((e) => e.revokedGrantIds), [['batch-g2'], [], ['batch-g1']]);
      assert.equal(ended[1]!.logout, undefined);
      for (const k of [1, 2]) {
        assert.equal(await storage.getSsoSession(`batch-${k}`), undefined);
        assert.equal(await storage.findPayload('Session', `batch-j${k}`), undefined);
        assert.equal(await storage.findPayload('AccessToken', `batch-at${k}`), undefined);
        assert.deepEqual((await storage.getLogout(`LB-batch-${k}`))!.deliveries.map((d) => d.client_id), ['a', 'c1']);
      }
      assert.ok(await storage.getSsoSession('batch-3'), 'a session not asked for is untouched');
      assert.ok(await storage.findPayload('AccessToken', 'batch-at3'));
    });

    it('claims each due delivery once, honours leases, and fences a node that lost its claim', async () => {
      await storage.saveSsoSession(session('outbox-2', 'acct'));
      await storage.endSession('outbox-2', () => plan('L2', 'outbox-2', [{}, {}, {}, { next_attempt_at: Date.now() + 60_000 }]));
      const now = Date.now();
      const [a, b] = await Promise.all([storage.claimDeliveries('A', now, 1000, 2), storage.claimDeliveries('B', now, 1000, 2)]);
      const ids = [...a, ...b].map((d) => d.id).filter((id) => id.startsWith('L2'));
      assert.equal(ids.length, 3, 'three due deliveries, each claimed once');
      assert.equal(new Set(ids).size, 3);
      assert.equal((await storage.claimDeliveries('C', now, 1000, 10)).filter((d) => d.id.startsWith('L2')).length, 0, 'leases hold');
      assert.deepEqual(await storage.deliveryQueueDepth(), { delivering: 4, pending: 1 }, 'with the earlier logout\'s due row');

      // the lease of A runs out (A died): C takes its rows over, and A can no longer finish them
      const reclaimed = (await storage.claimDeliveries('C', now + 2000, 1000, 10)).filter((d) => d.id.startsWith('L2'));
      assert.equal(reclaimed.length, 3);
      const outcome = { status: 'delivered' as const, attempts: 1, last_error: null, next_attempt_at: now, completed_at: now };
      const firstId = (a.length ? a : b)[0]!.id;
      assert.deepEqual(await storage.finishAttempts(a.length ? 'A' : 'B', [{ id: firstId, outcome }]), new Set(), 'fenced');
      const recorded = await storage.finishAttempts('C', reclaimed.map((d) => ({ id: d.id, outcome })));
      assert.deepEqual(recorded, new Set(reclaimed.map((d) => d.id)));
      assert.equal(await storage.completeLogoutIfDone('L2', now), undefined, 'one delivery is still pending');
      const [later] = (await storage.claimDeliveries('C', now + 120_000, 1000, 10)).filter((d) => d.id.startsWith('L2'));
      assert.equal((await storage.finishAttempts('C', [{ id: later!.id, outcome: { ...outcome, status: 'rejected', last_error: 'HTTP 400' } }])).size, 1);
      const [done, twice] = await Promise.all([storage.completeLogoutIfDone('L2', now), storage.completeLogoutIfDone('L2', now)]);
      assert.equal([done, twice].filter(Boolean).length, 1, 'completed exactly once');
      assert.equal((done ?? twice)?.status, 'completed_with_failures');
    });

    it('skips blocked targets until their deadline, and takes back released claims unattempted', async () => {
      await storage.saveSsoSession(session('outbox-4', 'acct'));
      const t = Date.now();
      await storage.endSession('outbox-4', () => plan('L4', 'outbox-4', [
        { target: 'http://dead.test/bcl' }, { target: 'http://dead.test/bcl', deadline_at: t + 50 }, { target: 'http://ok.test/bcl' },
      ]));
      const claimed = (await storage.claimDeliveries('A', t + 100, 1000, 10, ['http://dead.test/bcl'])).filter((d) => d.id.startsWith('L4'));
      assert.deepEqual(claimed.map((d) => d.id).sort(), ['L4-d1', 'L4-d2'], 'the blocked target only past its deadline');
      await storage.releaseClaims('A', ['L4-d2']);
      const released = (await storage.getLogout('L4'))!.deliveries.find((d) => d.id === 'L4-d2')!;
      assert.deepEqual([released.status, released.attempts], ['pending', 0]);
      assert.deepEqual((await storage.claimDeliveries('B', t + 100, 1000, 10)).filter((d) => d.id.startsWith('L4')).map((d) => d.id).sort(), ['L4-d0', 'L4-d2']);
    });

    it('a claim that skips applications reads the others one by one, and reaches all of them over successive claims', async () => {
      const opened = await backend.open(); // an outbox of its own: the counts below are exact
      const outbox = await openStorage(opened.config);
      try {
        await outbox.saveSsoSession(session('outbox-7', 'acct'));
        const t = Date.now();
        const busy = 'http://busy.test/bcl';
        // 150 applications waiting (more than one claim asks), behind a busy one's older backlog
        await outbox.endSession('outbox-7', () => plan('L7', 'outbox-7', [
          ...Array.from({ length: 20 }, (_, i) => ({ target: busy, next_attempt_at: t - 10_000 + i })),
          ...Array.from({ length: 150 }, (_, i) => ({ target: `http://app${String(i).padStart(3, '0')}.test/bcl`, next_attempt_at: t - 5_000 + i })),
          { target: 'http://later.test/bcl', next_attempt_at: t + 60_000 },
        ]));
        const first = await outbox.claimDeliveries('A', t, 60_000, 1_000, [busy]);
        const second = await outbox.claimDeliveries('A', t, 60_000, 1_000, [busy]);
        assert.equal(first.length, 100, 'one claim asks a hundred applications');
        assert.equal(second.length, 50, 'the next goes on with the rest');
        assert.equal(new Set([...first, ...second].map((d) => d.target)).size, 150);
        assert.ok([...first, ...second].every((d) => d.target !== busy && d.next_attempt_at <= t));
        assert.deepEqual((await outbox.claimDeliveries('B', t, 60_000, 3, [])).map((d) => d.id).sort(), ['L7-d0', 'L7-d1', 'L7-d2'], 'not skipped: the oldest first');
      } finally {
        await outbox.close();
        await opened.cleanup();
      }
    });

    it('claims an application’s own deliveries newest first, and everyone’s oldest first', async () => {
      await storage.saveSsoSession(session('outbox-5', 'acct'));
      const t = Date.now();
      const target = 'http://back.test/bcl';
      await storage.endSession('outbox-5', () => plan('L5', 'outbox-5', [
        { target, next_attempt_at: t - 3000 }, { target, next_attempt_at: t - 1000 }, { target, next_attempt_at: t - 2000 }, { target, next_attempt_at: t + 60_000 },
      ]));
      const own = await storage.claimDeliveries('A', t, 1000, 2, [], target);
      assert.deepEqual(own.map((d) => d.id).sort(), ['L5-d1', 'L5-d2'], 'the newest due first; not what is not due yet');
      const everyone = (await storage.claimDeliveries('A', t, 1000, 10)).filter((d) => d.id.startsWith('L5'));
      assert.deepEqual(everyone.map((d) => d.id), ['L5-d0']);
    });

    it('merges a session save into what is stored, under the session lock, and never revives an ended one', async () => {
      const payload = { jti: 'j-merge', uid: 'u-merge', accountId: 'acct', authorizations: { a: { sid: 's1' } } };
      assert.equal(await storage.saveSession(payload, now() + 60, (stored) => { assert.equal(stored, undefined); return payload; }), true);
      const saves = ['b', 'c', 'd'].map((client) => storage.saveSession({ ...payload, authorizations: { [client]: { sid: client } } }, now() + 60,
        (stored) => ({ ...stored, authorizations: { ...(stored!.authorizations as object), [client]: { sid: client } } })));
      await Promise.all(saves);
      assert.deepEqual(Object.keys((await storage.findPayload('Session', 'j-merge'))!.authorizations as object).sort(), ['a', 'b', 'c', 'd']);
      await storage.saveSsoSession(session('u-merge', 'acct'));
      const updated = await Promise.all(['x', 'y'].map((client) => storage.updateSsoSession('u-merge', (r) => ({ ...r!, clients: [...r!.clients, { client_id: client, sid: null, first_at: 0, last_at: 0 }] }))));
      assert.equal(updated.length, 2);
      // in whichever order the two updates took the lock
      assert.deepEqual((await storage.getSsoSession('u-merge'))!.clients.map((c) => c.client_id).sort(), ['a', 'x', 'y']);
      // a sign-in's session save and record change, as one: parallel ones each keep theirs
      await Promise.all(['p', 'q'].map((client) => storage.saveSession({ ...payload, authorizations: { [client]: { sid: client } } }, now() + 60,
        (stored) => ({ ...stored, authorizations: { ...(stored!.authorizations as object), [client]: { sid: client } } }),
        (r) => ({ ...r!, clients: [...r!.clients, { client_id: client, sid: client, first_at: 0, last_at: 0 }] }))));
      assert.deepEqual((await storage.getSsoSession('u-merge'))!.clients.map((c) => c.client_id).sort(), ['a', 'p', 'q', 'x', 'y']);
      assert.deepEqual(Object.keys((await storage.findPayload('Session', 'j-merge'))!.authorizations as object).sort(), ['a', 'b', 'c', 'd', 'p', 'q']);
      await storage.endSession('u-merge');
      assert.equal(await storage.updateSsoSession('u-merge', () => assert.fail('not called for an ended session')), undefined);
      assert.equal(await storage.saveSession(payload, now() + 60, () => undefined, () => assert.fail('not called when the session is not saved')), false);
    });

    it('finds a live provider Session by id with its SSO record in one read', async () => {
      const payload = { jti: 'j-find', uid: 'u-find', accountId: 'acct', authorizations: { a: { sid: 's1' } } };
      await storage.saveSession(payload, now() + 60, () => payload);
      assert.deepEqual(await storage.findSession('j-find', now()), { payload, record: undefined }, 'no record before the first sign-in is recorded');
      await storage.saveSsoSession(session('u-find', 'acct'));
      assert.deepEqual(await storage.findSession('j-find', now()), { payload, record: await storage.getSsoSession('u-find') });
      assert.equal(await storage.findSession('j-find', now() + 61), undefined, 'expired');
      assert.equal(await storage.findSession('u-find', now()), undefined, 'by id, not uid');
    });

    it('takes browser reports only for deliveries awaiting them, and times out the rest', async () => {
      await storage.saveSsoSession(session('outbox-3', 'acct'));
      const t = Date.now();
      await storage.endSession('outbox-3', () => plan('L3', 'outbox-3', [
        { channel: 'frontchannel', status: 'awaiting_browser', deadline_at: t + 60_000 },
        { channel: 'legacy_get', status: 'awaiting_browser', deadline_at: t - 1 },
        {},
      ]));
      const n = await storage.reportBrowserDeliveries('L3', [
        { id: 'L3-d0', status: 'confirmed', last_error: null, latency_ms: 12 },
        { id: 'L3-d2', status: 'confirmed', last_error: null, latency_ms: 12 }, // a back-channel row: not the browser's
        { id: 'L2-d0', status: 'confirmed', last_error: null, latency_ms: 12 }, // another logout's row
      ], t);
      assert.equal(n, 1);
      assert.deepEqual(await storage.expireBrowserDeliveries(t), ['L3']);
      const l3 = await storage.getLogout('L3');
      assert.deepEqual(l3?.deliveries.map((d) => d.status), ['confirmed', 'timed_out', 'pending']);
      assert.equal((await storage.listLogouts({ account_id: 'acct', status: 'in_progress', limit: 10, offset: 0 })).some((l) => l.id === 'L3'), true);
      assert.equal((await storage.listLogouts({ account_id: 'other', limit: 10, offset: 0 })).length, 0);
    });
  });
}

describe('PostgreSQL connection loss', () => {
  it('survives the database terminating its connections, and reconnects', async () => {
    const db = await createTestDatabase();
    const errors: Error[] = [];
    const storage = await openStorage({ kind: 'postgres', url: db.url }, (err) => errors.push(err));
    try {
      await storage.putClient('before', client('before'), 'api');
      const pg = (await import('pg')).default;
      const admin = new pg.Client({ connectionString: db.url.replace(/\/[^/]+$/, '/postgres') });
      await admin.connect();
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [new URL(db.url).pathname.slice(1)]);
      await admin.end();
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(errors.length >= 1, 'the idle connection error was reported, not thrown');
      assert.equal((await storage.getClient('before'))?.client_id, 'before', 'the next query reconnects');
    } finally {
      await storage.close();
      await db.drop();
    }
  });
});

describe('migrations', () => {
  it('0003 indexes the web origins of clients stored before it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'adieu-migrate-'));
    const path = join(dir, 'test.db');
    try {
      const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new BetterSqlite3(path) }) });
      const migrated = await new Migrator({ db, provider: migrationProvider }).migrateTo('0002_logout_propagation');
      assert.equal(migrated.error, undefined);
      await db.insertInto('clients').values({ client_id: 'old', metadata: JSON.stringify({ client_id: 'old', web_origins: ['https://old.example'] }), source: 'config', created_at: 1, updated_at: 1 }).execute();
      await db.destroy();
      const storage = await openStorage({ kind: 'sqlite', path });
      try {
        assert.equal(await storage.isWebOrigin('https://old.example'), true);
      } finally {
        await storage.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SQLite checkpoints', () => {
  it('never keeps the process alive', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'adieu-checkpoint-'));
    try {
      const fixture = new URL('./fixtures/open-sqlite-and-return.ts', import.meta.url).pathname;
      const child = spawn(process.execPath, ['--import', 'tsx', fixture, join(dir, 'test.db')], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      const timer = setTimeout(() => child.kill(), 8_000);
      const [code] = await once(child, 'exit');
      clearTimeout(timer);
      assert.equal(out.trim(), 'opened');
      assert.equal(code, 0, 'exited by itself with the storage still open');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('copies the write-ahead log into the database from a worker, not inside commits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'adieu-checkpoint-'));
    const path = join(dir, 'test.db');
    const errors: Error[] = [];
    const storage = await openStorage({ kind: 'sqlite', path }, (err) => errors.push(err));
    try {
      const size = () => statSync(path).size;
      const before = size();
      // ~2 MB: half of SQLite's own threshold, so only the worker can have copied it over
      const padding = 'x'.repeat(2_000);
      for (let i = 0; i < 1_000; i++) await storage.putClient(`c${i}`, client(`c${i}`, { client_name: padding }), 'api');
      assert.equal(size(), before, 'commits leave the data in the log');
      const deadline = Date.now() + 5_000;
      // the file grows page by page while the worker copies: wait for the copy, not its first page
      while (size() <= before + 1_000_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.ok(size() > before + 1_000_000, `the database file grew from ${before} to ${size()} bytes`);
      assert.deepEqual(errors, []);
    } finally {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
