import { randomBytes } from 'node:crypto';
import Router from '@koa/router';
import type { Context } from 'koa';
import { html, sendPage, sendSignedOut } from '../../http/html.ts';
import type { RouteDeps } from '../../http/routes.ts';
import { INITIATOR } from '../../logout/channels/index.ts';
import { frontchannelRequest, frontchannelRequestId } from '../../logout/channels/saml-frontchannel.ts';
import { postDocument, sendPostDocument } from '../bindings.ts';
import { logoutOutcome } from '../../logout/channels/saml.ts';
import { logoutPageUrl, needsLogoutPage } from '../../logout/delivery-view.ts';
import { clearSessionCookie, currentSession } from '../../sessions/cookie.ts';
import { SUCCESS_STATUSES, type SsoSessionRecord, type Storage } from '../../storage/types.ts';
import { epochSeconds } from '../../time.ts';
import { SamlRequestRefused, type Received, type ServiceProvider } from '../idp.ts';
import { buildLogoutResponse, readLogoutRequest, readLogoutResponse, type LogoutRequest } from '../messages.ts';
import { NAME_ID_FORMATS } from '../names.ts';
import { SamlError, STATUS } from '../xml.ts';
import { refusing } from './refusing.ts';

/** An SP's LogoutRequest being answered once the logout it started has run (the logout page's return). */
const PENDING_ANSWER = 'SamlLogoutAnswer';
const PENDING_ANSWER_TTL_S = 3600;

interface PendingAnswer {
  client_id: string;
  request_id: string;
  relay_state: string | null;
  binding: Received['binding'];
  logout_ids: string[];
}

/**
 * SAML Single Logout (profiles §4.4) at /samlp/:client_id/logout: an SP's LogoutRequest ends the
 * session through SessionEnder like every other ending (reaching the other SPs and OIDC apps), and
 * the SP's LogoutResponses to Adieu's own front-channel requests confirm those deliveries.
 */
export function samlSloRoutes({ config, provider, storage, ender, propagation, saml: idp }: RouteDeps): Router {
  const router = new Router();

  async function singleLogout(ctx: Context) {
    const sp = await idp.serviceProvider(ctx.params.client_id!);
    const received = await refusing(() => idp.receive(ctx, sp, idp.urls(sp.client_id).slo));
    if (received.param === 'SAMLResponse') return confirmDelivery(ctx, sp, received);
    return endSessions(ctx, sp, received);
  }
  router.get('/samlp/:client_id/logout', singleLogout);
  router.post('/samlp/:client_id/logout', singleLogout);

  /** An SP answered Adieu's front-channel LogoutRequest: its delivery is confirmed (or refused) here, by the server. */
  async function confirmDelivery(ctx: Context, sp: ServiceProvider, received: Received) {
    const response = await refusing(() => readLogoutResponse(received.root));
    const logout = received.relayState ? await storage.getLogout(received.relayState) : undefined;
    const d = logout?.deliveries.find((x) => x.client_id === sp.client_id && response.inResponseTo === frontchannelRequestId(x));
    if (!logout || !d) throw new SamlRequestRefused('This LogoutResponse answers no sign-out Adieu is waiting for.');
    const { ok, status, error } = logoutOutcome(response);
    await propagation.report(logout.id, [{ id: d.id, status: ok ? 'confirmed' : 'rejected', last_error: error, latency_ms: Date.now() - d.created_at }]);
    // in the logout page's frame: its script tells the page (assets/saml-logout-done.js)
    sendPage(ctx, 200, 'Signed out', html`
      <h1>${ok ? 'Signed out' : 'Not signed out'}</h1>
      <p id="saml-logout-result" data-status="${ok ? 'signed_out' : 'refused'}">${sp.client_name ?? sp.client_id} ${ok ? 'signed you out' : `answered ${status}`}.</p>
      <script src="/assets/saml-logout-done.js"></script>`, { framed: true, scripts: true });
  }

  /** An SP asked to end the session: every session of the browser (or of the NameID) holding it ends, through SessionEnder. */
  async function endSessions(ctx: Context, sp: ServiceProvider, received: Received) {
    const request = await refusing(async () => {
      const r = readLogoutRequest(received.root);
      await idp.checkFresh(sp, r.id, r.issueInstant_ms);
      if (r.notOnOrAfter_ms !== undefined && r.notOnOrAfter_ms < Date.now() - config.saml.clock_skew_s * 1000) throw new SamlError('the LogoutRequest has expired (NotOnOrAfter)');
      return r;
    });
    const browser = await currentSession(provider, ctx);
    const uids = await sessionsOf(storage, sp, request, browser?.uid);
    const state = randomBytes(24).toString('base64url');
    const respondUrl = `${idp.urls(sp.client_id).slo}/respond?state=${state}`;
    const logoutIds: string[] = [];
    let page: string | undefined;
    for (const uid of uids) {
      const inBrowser = uid === browser?.uid;
      const ended = await ender.end(uid, 'saml_logout', { browser: inBrowser, returnTo: inBrowser ? respondUrl : null, initiator: sp.client_id, actor: `client:${sp.client_id}` });
      if (!ended?.logout) continue;
      logoutIds.push(ended.logout.record.id);
      if (inBrowser && needsLogoutPage(ended.logout.deliveries.filter((d) => d.channel !== INITIATOR.name))) page = logoutPageUrl(ended.logout.record);
    }
    if (browser && uids.includes(browser.uid)) clearSessionCookie(provider, ctx);
    const pending: PendingAnswer = { client_id: sp.client_id, request_id: request.id, relay_state: received.relayState ?? null, binding: received.binding, logout_ids: logoutIds };
    await storage.upsertPayload(PENDING_ANSWER, state, { ...pending }, epochSeconds() + PENDING_ANSWER_TTL_S);
    ctx.redirect(page ?? respondUrl);
  }

  /** A POST-binding front-channel delivery's page, in the logout page's frame: the signed LogoutRequest, posted to the SP. */
  router.get('/samlp/logout/:logout_id/send/:delivery_id', async (ctx) => {
    const logout = await storage.getLogout(ctx.params.logout_id!);
    const d = logout?.deliveries.find((x) => x.id === ctx.params.delivery_id && x.channel === 'saml_post' && x.status === 'awaiting_browser');
    if (!d?.target || !d.channel_params?.name_id) throw new SamlRequestRefused('This sign-out is not waiting for this application.', 404);
    const request = await idp.signer.sign(frontchannelRequest(idp, d, Math.ceil(config.logout.frontchannel.timeout_ms / 1000) + 60));
    sendPostDocument(ctx, postDocument(d.target, 'SAMLRequest', request, d.logout_id), { framed: true });
  });

  /**
   * The LogoutResponse to the SP that asked (core §3.7.3.2): Success when every other application
   * confirmed, else Success (or Responder, per SP) with the sub-status PartialLogout.
   */
  router.get('/samlp/:client_id/logout/respond', async (ctx) => {
    const sp = await idp.serviceProvider(ctx.params.client_id!);
    const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
    const pending = state ? await storage.findPayload(PENDING_ANSWER, state) as PendingAnswer | undefined : undefined;
    if (!pending || pending.client_id !== sp.client_id || !(await storage.consumePayload(PENDING_ANSWER, state, epochSeconds()))) return sendSignedOut(ctx);
    const logouts = await Promise.all(pending.logout_ids.map((id) => storage.getLogout(id)));
    const partial = logouts.some((l) => !l || l.deliveries.some((d) => d.channel !== INITIATOR.name && !SUCCESS_STATUSES.has(d.status)));
    const services = sp.sp.single_logout_services?.filter((s) => s.binding !== 'SOAP') ?? [];
    const to = services.find((s) => s.binding === pending.binding) ?? services[0];
    if (!to) return sendSignedOut(ctx); // the SP has no browser SLO service to answer at
    const location = to.response_location ?? to.location;
    const status = partial
      ? { code: sp.sp.partial_logout_status === 'Responder' ? STATUS.responder : STATUS.success, subCode: STATUS.partialLogout }
      : { code: STATUS.success };
    const response = buildLogoutResponse({ issuer: idp.entityId, destination: location, inResponseTo: pending.request_id, now_ms: Date.now(), status });
    await idp.send(ctx, { binding: to.binding as 'HTTP-Redirect' | 'HTTP-POST', location }, 'SAMLResponse', response, pending.relay_state ?? undefined);
  });

  return router;
}

/**
 * The sessions a LogoutRequest names (core §3.7.3.2): the browser's own when it holds this SP
 * under this NameID; else, for a NameID that names an account (unspecified: the user id; email),
 * that account's sessions holding it — only those of the SessionIndex values given, if any.
 */
async function sessionsOf(storage: Storage, sp: ServiceProvider, request: LogoutRequest, browserUid: string | undefined): Promise<string[]> {
  const holds = (record: SsoSessionRecord | undefined) => !!record?.clients.some((c) => c.client_id === sp.client_id
    && c.name_id?.value === request.nameId.value
    && (request.sessionIndexes.length === 0 || (c.sid !== null && request.sessionIndexes.includes(c.sid))));
  if (browserUid && holds(await storage.getSsoSession(browserUid))) return [browserUid];
  const format = request.nameId.format;
  let accounts: string[] = [];
  if (sp.sp.name_id_format === 'unspecified' && (!format || format === NAME_ID_FORMATS.unspecified)) accounts = [request.nameId.value];
  if (sp.sp.name_id_format === 'email' && (!format || format === NAME_ID_FORMATS.email)) accounts = (await storage.findUsersByEmail(request.nameId.value, 10)).map((u) => u.id);
  const uids: string[] = [];
  for (const account of accounts) for (const s of await storage.listSsoSessions(account, 0)) if (holds(s)) uids.push(s.uid);
  return uids;
}
