import { createHash, randomBytes } from 'node:crypto';
import Router from '@koa/router';
import type { Context } from 'koa';
import type { RouteDeps } from '../../http/routes.ts';
import { PROVIDER_ROUTES } from '../../provider/provider.ts';
import type { Storage } from '../../storage/types.ts';
import { epochSeconds } from '../../time.ts';
import { chooseAcs, type AssertionConsumerService } from '../acs.ts';
import { SamlRequestRefused, type SamlIdp, type ServiceProvider } from '../idp.ts';
import { idpMetadata } from '../idp-metadata.ts';
import { buildResponse, readAuthnRequest } from '../messages.ts';
import { NAME_ID_FORMATS } from '../names.ts';
import { SamlError, STATUS } from '../xml.ts';
import { refusing } from './refusing.ts';

/** A sign-in on its way through /authorize, kept until the browser comes back to /continue. */
const PENDING_AUTHN = 'SamlAuthn';
const PENDING_AUTHN_TTL_S = 3600;

interface PendingAuthn {
  client_id: string;
  acs: AssertionConsumerService;
  request_id: string | null;
  relay_state: string | null;
  is_passive: boolean;
}

const single = (v: unknown) => (typeof v === 'string' ? v : undefined);

/** An error Response to the SP (core §3.2.2.2), once the request was verified and its ACS known. */
async function answerWithError(ctx: Context, idp: SamlIdp, pending: Pick<PendingAuthn, 'acs' | 'request_id' | 'relay_state'>, status: { code: string; subCode?: string; message?: string }) {
  const response = await buildResponse({ issuer: idp.entityId, destination: pending.acs.location, inResponseTo: pending.request_id ?? undefined, now_ms: Date.now(), status }, idp.signer);
  await idp.send(ctx, pending.acs, 'SAMLResponse', response, pending.relay_state ?? undefined, { signed: true });
}

/** What an OAuth error from /authorize means to the SP. */
function statusForAuthorizeError(error: string, isPassive: boolean) {
  if (['login_required', 'interaction_required', 'consent_required', 'account_selection_required'].includes(error)) {
    return { code: STATUS.responder, subCode: isPassive ? STATUS.noPassive : STATUS.authnFailed };
  }
  if (error === 'access_denied') return { code: STATUS.responder, subCode: STATUS.requestDenied };
  return { code: STATUS.responder, subCode: STATUS.authnFailed };
}

/**
 * SAML Web Browser SSO (profiles §4.1) on oidc-provider's session: the SP is, to oidc-provider,
 * a client whose redirect URI is Adieu's /continue. Its sign-in runs through /authorize (login page,
 * SSO session, ForceAuthn as prompt=login, IsPassive as prompt=none), so it joins the browser's one
 * SSO session and is recorded in it like any OIDC sign-in; /continue turns the code into a Response.
 */
export function samlSsoRoutes({ config, storage, saml: idp }: RouteDeps): Router {
  const router = new Router();

  router.get('/samlp/metadata/:client_id', async (ctx) => {
    const sp = await idp.serviceProvider(ctx.params.client_id!);
    ctx.type = 'application/samlmetadata+xml';
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = await idpMetadata(idp, sp);
  });

  async function startSignIn(ctx: Context) {
    const sp = await idp.serviceProvider(ctx.params.client_id!);
    const fromSp = ctx.method === 'POST' || ctx.query.SAMLRequest !== undefined;
    // 1. the request, verified (or none: IdP-initiated), and where the answer may go
    const { request, relayState } = await refusing(async () => {
      if (!fromSp) return { request: undefined, relayState: single(ctx.query.RelayState) };
      const received = await idp.receive(ctx, sp, idp.urls(sp.client_id).sso);
      if (received.param !== 'SAMLRequest') throw new SamlError('expected a SAMLRequest');
      const request = readAuthnRequest(received.root);
      await idp.checkFresh(sp, request.id, request.issueInstant_ms);
      return { request, relayState: received.relayState };
    });
    const acs = await refusing(() => chooseAcs(sp.sp, request));
    const pending: PendingAuthn = { client_id: sp.client_id, acs, request_id: request?.id ?? null, relay_state: relayState ?? null, is_passive: !!request?.isPassive };
    // 2. what the request asks that Adieu cannot give is answered to the SP
    if (request?.nameIdFormat && request.nameIdFormat !== NAME_ID_FORMATS.unspecified && request.nameIdFormat !== NAME_ID_FORMATS[sp.sp.name_id_format]) {
      return answerWithError(ctx, idp, pending, { code: STATUS.requester, subCode: STATUS.invalidNameIdPolicy, message: `this application is registered for NameID format ${sp.sp.name_id_format}` });
    }
    if (request?.isPassive && request.forceAuthn) return answerWithError(ctx, idp, pending, { code: STATUS.responder, subCode: STATUS.noPassive });
    // 3. through /authorize: the SSO session decides whether the person signs in
    const state = randomBytes(24).toString('base64url');
    await storage.upsertPayload(PENDING_AUTHN, state, { ...pending }, epochSeconds() + PENDING_AUTHN_TTL_S);
    const authorize = new URL(`${config.base_url}${PROVIDER_ROUTES.authorization}`);
    authorize.search = new URLSearchParams({
      client_id: sp.client_id,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: idp.urls(sp.client_id).continue,
      state,
      // PKCE is required of every client; the code never leaves Adieu, so the verifier is dropped
      code_challenge: createHash('sha256').update(randomBytes(32)).digest('base64url'),
      code_challenge_method: 'S256',
      ...(request?.forceAuthn ? { prompt: 'login' } : request?.isPassive ? { prompt: 'none' } : {}),
    }).toString();
    ctx.redirect(authorize.href);
  }
  router.get('/samlp/:client_id', startSignIn);
  router.post('/samlp/:client_id', startSignIn);

  router.get('/samlp/:client_id/continue', async (ctx) => {
    const sp = await idp.serviceProvider(ctx.params.client_id!);
    const pending = await takePending(storage, sp, single(ctx.query.state));
    // 4. the authorization's outcome: an error, or a code naming the session and the user
    const error = single(ctx.query.error);
    if (error) return answerWithError(ctx, idp, pending, { ...statusForAuthorizeError(error, pending.is_passive), message: single(ctx.query.error_description) });
    const code = await takeCode(storage, sp, single(ctx.query.code));
    const user = await storage.getUser(code.accountId);
    if (!user) return answerWithError(ctx, idp, pending, { code: STATUS.responder, subCode: STATUS.unknownPrincipal });
    // 5. the NameID, recorded with the session's record of this SP (its logout must carry it)
    const record = await storage.getSsoSession(code.sessionUid);
    let nameId;
    try {
      nameId = await idp.nameIdFor(sp, user, record?.clients.find((c) => c.client_id === sp.client_id));
    } catch (err) {
      if (err instanceof SamlError) return answerWithError(ctx, idp, pending, { code: err.status, subCode: err.subStatus, message: err.message });
      throw err;
    }
    await storage.updateSsoSession(code.sessionUid, (r) => r && { ...r, clients: r.clients.map((c) => (c.client_id === sp.client_id ? { ...c, name_id: nameId } : c)) });
    // 6. the signed Response, to the ACS
    const now_ms = Date.now();
    const response = await buildResponse({
      issuer: idp.entityId, destination: pending.acs.location, inResponseTo: pending.request_id ?? undefined, now_ms,
      assertion: {
        issuer: idp.entityId, audience: sp.sp.entity_id, recipient: pending.acs.location, inResponseTo: pending.request_id ?? undefined,
        nameId, sessionIndex: code.sid, authnInstant_ms: code.authTime * 1000, now_ms,
        lifetime_s: config.saml.assertion_lifetime_s, attributes: idp.attributesFor(sp, user),
        encryptFor: sp.sp.encryption_certificates?.[0],
      },
    }, idp.signer);
    await idp.send(ctx, pending.acs, 'SAMLResponse', response, pending.relay_state ?? undefined, { signed: true });
  });

  return router;
}

/** The pending sign-in `state` names, used once. */
async function takePending(storage: Storage, sp: ServiceProvider, state: string | undefined): Promise<PendingAuthn> {
  const pending = state ? (await storage.findPayload(PENDING_AUTHN, state)) as PendingAuthn | undefined : undefined;
  if (!pending || pending.client_id !== sp.client_id || !(await storage.consumePayload(PENDING_AUTHN, state!, epochSeconds()))) {
    throw new SamlRequestRefused('This sign-in has expired or was already completed.');
  }
  return pending;
}

/** The authorization code oidc-provider issued to the SP's /continue, consumed here (it never leaves Adieu). */
async function takeCode(storage: Storage, sp: ServiceProvider, code: string | undefined) {
  const payload = code ? await storage.findPayload('AuthorizationCode', code) : undefined;
  const valid = payload && payload.clientId === sp.client_id && typeof payload.accountId === 'string' && typeof payload.sessionUid === 'string'
    && typeof payload.sid === 'string' && !payload.consumed;
  if (!valid || !(await storage.consumePayload('AuthorizationCode', code!, epochSeconds()))) throw new SamlRequestRefused('This sign-in could not be completed; start again from the application.');
  await storage.destroyPayload('AuthorizationCode', code!);
  return payload as { accountId: string; sessionUid: string; sid: string; authTime: number };
}
