import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { SessionClient, SsoSessionRecord, Storage } from '../storage/types.ts';
import { logoutPageUrl, needsLogoutPage } from '../logout/page.ts';
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
  provider.use(async (ctx, next) => {
    await next();
    const oidc = (ctx as KoaContextWithOIDC).oidc;
    if (!oidc?.route) return;

    if (AUTHORIZATION_ROUTES.has(oidc.route) && oidc.entities.AuthorizationCode && oidc.session?.accountId && oidc.client) {
      await recordAuthorization(storage, strategies, oidc);
    } else if (oidc.route === 'end_session_confirm' && oidc.session) {
      const session = oidc.session as any;
      if (session.destroyed) {
        const trigger = oidc.params?.logout ? 'rp_logout' : 'account_switch';
        const returnTo = ctx.response.get('location') || null;
        const ended = await ender.end(session.uid, trigger, { browser: trigger === 'rp_logout', returnTo });
        // the person sees which applications were signed out before going back
        if (trigger === 'rp_logout' && ended?.logout && needsLogoutPage(ended.logout.deliveries)) {
          ctx.status = 303;
          ctx.redirect(logoutPageUrl(ended.logout.record));
        }
      } else if (oidc.client) {
        // "No, stay signed in": only the requesting client was signed out of the session
        const record = await storage.getSsoSession(session.uid);
        if (record) {
          record.clients = record.clients.filter((c) => c.client_id !== oidc.client!.clientId);
          if (record.last_used_client_id === oidc.client.clientId) record.last_used_client_id = record.clients.at(-1)?.client_id ?? null;
          record.updated_at = Math.floor(Date.now() / 1000);
          await storage.saveSsoSession(record);
        }
      }
    }
  });
}

async function recordAuthorization(storage: Storage, strategies: Map<string, string>, oidc: KoaContextWithOIDC['oidc']) {
  const session = oidc.session!;
  const clientId = oidc.client!.clientId;
  const accountId = session.accountId!;
  const now = Math.floor(Date.now() / 1000);
  let record = await storage.getSsoSession(session.uid);
  if (record && record.account_id !== accountId) record = undefined;
  const adieu = (oidc.result as { adieu?: AdieuLoginResult } | undefined)?.adieu;

  let next: SsoSessionRecord;
  if (record && !oidc.result?.login) {
    next = record; // a silent sign-in: who and how are already recorded
  } else {
    // a new session, or a fresh login (also prompt=login) that refreshes who and how
    const user = await storage.getUser(accountId);
    const name = user?.connection ?? 'unknown';
    next = {
      uid: session.uid,
      account_id: accountId,
      clients: [],
      last_used_client_id: null,
      upstream: null,
      created_at: now,
      ...record,
      username: user?.username ?? accountId,
      connection: { name, strategy: strategies.get(name) ?? 'unknown' },
      updated_at: now,
      expires_at: session.exp ?? now,
    };
    if (adieu?.upstream) next.upstream = adieu.upstream;
  }
  const existing = next.clients.find((c) => c.client_id === clientId);
  const sid = session.sidFor(clientId) ?? null;
  if (existing) {
    existing.last_at = now;
    existing.sid = sid;
  } else {
    next.clients.push({ client_id: clientId, sid, first_at: now, last_at: now } satisfies SessionClient);
  }
  next.last_used_client_id = clientId;
  next.updated_at = now;
  next.expires_at = session.exp ?? next.expires_at;
  await storage.saveSsoSession(next);
}
