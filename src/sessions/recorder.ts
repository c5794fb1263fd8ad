import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { logoutPageUrl, needsLogoutPage } from '../logout/delivery-view.ts';
import { PROVIDER_ROUTES } from '../provider/provider.ts';
import { requestScope } from '../provider/request-scope.ts';
import type { SessionClient, SsoSessionRecord, Storage, StoredUser } from '../storage/types.ts';
import { epochSeconds } from '../time.ts';
import { displayName } from '../users/accounts.ts';
import type { SessionEnder } from './end-session.ts';

/** What Adieu's login interactions add to the interaction result besides `login`. */
export interface AdieuLoginResult {
  upstream?: { connection: string; id_token: string };
}

const AUTHORIZATION_ROUTES = new Set(['authorization', 'resume']);

/**
 * Keeps the SSO session record in step with oidc-provider's Session: every successful
 * authorization appends (or refreshes) the client in sign-in order and sets lastUsed*.
 * Logouts handled by oidc-provider's own end-session endpoint are routed into SessionEnder.
 */
export function installSessionRecorder(provider: Provider, storage: Storage, ender: SessionEnder, connections: { name: string; strategy: string }[]) {
  const strategies = new Map(connections.map((c) => [c.name, c.strategy]));
  const confirmPath = `${PROVIDER_ROUTES.end_session}/confirm`;
  // an authorization that answered the client (a code, or an ID token posted to it): its record
  // change rides in the transaction that saves the session (provider/adapter.ts)
  const authorized = new WeakMap<object, AuthorizationRecord>();
  provider.on('authorization.success', (ctx) => {
    const { session, client } = ctx.oidc;
    if (!session?.accountId || !client) return;
    const record = authorizationRecord(strategies, ctx.oidc);
    authorized.set(ctx, record);
    const scope = requestScope();
    if (scope) scope.sessionRecord = { uid: session.uid, update: record.update };
  });
  provider.use(async (ctx, next) => {
    // RP-Initiated Logout: oidc-provider would revoke the grants and destroy the session before
    // the outbox is written; SessionEnder does all of it in one transaction instead
    const scope = ctx.method === 'POST' && ctx.path === confirmPath ? requestScope() : undefined;
    if (scope) scope.deferredEnding = { sessionIds: [], revocations: [], grants: [] };
    await next();
    const oidc = (ctx as KoaContextWithOIDC).oidc;
    const deferred = scope?.deferredEnding;
    if (scope) scope.deferredEnding = undefined;
    if (!oidc?.route) return;

    const record = authorized.get(ctx);
    if (AUTHORIZATION_ROUTES.has(oidc.route) && record) {
      await record.complete(storage);
    } else if (oidc.route === 'end_session_confirm' && oidc.session) {
      const session = oidc.session as any;
      if (session.destroyed) {
        const trigger = oidc.params?.logout ? 'rp_logout' : 'account_switch';
        const returnTo = ctx.response.get('location') || null;
        const ended = await ender.end(session.uid, trigger, { browser: trigger === 'rp_logout', returnTo, actor: `user:${session.accountId}` });
        // the person sees which applications were signed out before going back
        if (trigger === 'rp_logout' && ended?.logout && needsLogoutPage(ended.logout.deliveries)) {
          ctx.status = 303;
          ctx.redirect(logoutPageUrl(ended.logout.record));
        }
      } else if (oidc.client) {
        // "No, stay signed in": only the requesting client was signed out of the session (its
        // grant revoked as oidc-provider asked)
        for (const r of deferred?.revocations ?? []) await storage.revokeByGrantId(r.model, r.grantId);
        for (const id of deferred?.grants ?? []) await storage.destroyPayload('Grant', id);
        const clientId = oidc.client.clientId;
        await storage.updateSsoSession(session.uid, (record) => record && {
          ...record,
          clients: record.clients.filter((c) => c.client_id !== clientId),
          last_used_client_id: record.last_used_client_id === clientId
            ? record.clients.filter((c) => c.client_id !== clientId).at(-1)?.client_id ?? null
            : record.last_used_client_id,
          updated_at: epochSeconds(),
        });
      }
    }
  });
}

interface AuthorizationRecord {
  /** The record's change: undefined (nothing written) until who signed in is known, when it must be. */
  update: (current: SsoSessionRecord | undefined) => SsoSessionRecord | undefined;
  /** Makes the change unless the session's save made it already (or found it only a touch: sessions/touch.ts). */
  complete(storage: Storage): Promise<void>;
}

/**
 * How one authorization changes its session's SSO record: appends (or refreshes) the client and
 * sets lastUsed*. Who signed in and how are read from storage only when a login is recorded (a
 * new session, or a fresh login), not on a silent sign-in.
 */
function authorizationRecord(strategies: Map<string, string>, oidc: KoaContextWithOIDC['oidc']): AuthorizationRecord {
  const session = oidc.session!;
  const clientId = oidc.client!.clientId;
  const accountId = session.accountId!;
  const adieu = (oidc.result as { adieu?: AdieuLoginResult } | undefined)?.adieu;
  const fresh = !!oidc.result?.login;
  let who: StoredUser | undefined | null = null;
  let needsWho = false;
  let written = false;
  const update = (current: SsoSessionRecord | undefined) => {
    const now = epochSeconds();
    // the sid as saved: read when the change is made, after oidc-provider set it
    const sid = session.sidFor(clientId) ?? null;
    if (current && current.account_id !== accountId) current = undefined;
    let next: SsoSessionRecord;
    if (current && !fresh) {
      next = { ...current }; // a silent sign-in: who and how are already recorded
    } else if (who === null) {
      needsWho = true;
      return undefined;
    } else {
      // a new session, or a fresh login (also prompt=login) that refreshes who and how
      const name = who?.connection ?? 'unknown';
      next = {
        uid: session.uid,
        account_id: accountId,
        clients: [],
        last_used_client_id: null,
        upstream: null,
        created_at: now,
        ...current,
        username: who ? displayName(who) : accountId,
        connection: { name, strategy: strategies.get(name) ?? 'unknown' },
        updated_at: now,
        expires_at: session.exp ?? now,
      };
      if (adieu?.upstream) next.upstream = adieu.upstream;
    }
    const existing = next.clients.find((c) => c.client_id === clientId);
    next.clients = existing
      ? next.clients.map((c) => (c === existing ? { ...c, last_at: now, sid } : c))
      : [...next.clients, { client_id: clientId, sid, first_at: now, last_at: now } satisfies SessionClient];
    next.last_used_client_id = clientId;
    next.updated_at = now;
    next.expires_at = session.exp ?? next.expires_at;
    written = true;
    return next;
  };
  return {
    update,
    async complete(storage) {
      if (written) return;
      await storage.updateSsoSession(session.uid, update);
      if (needsWho && !written) {
        who = await storage.getUser(accountId);
        await storage.updateSsoSession(session.uid, update);
      }
    },
  };
}
