/**
 * adieu-js: the browser SDK for Adieu. `getSSOData` is the reference document's call; the rest
 * is what a single-page application needs: sign in with code + PKCE, and sign out.
 */

import { LOGOUT_MESSAGE_TYPE, type LogoutMessage } from './frame-watcher.ts';

export { watchLogoutFrame, watchLogoutWindow, LOGOUT_MESSAGE_TYPE, FRAME_STATUS_TEXT, type FrameOutcome, type FrameStatus, type LogoutMessage } from './frame-watcher.ts';

export interface SsoData {
  sso: boolean;
  sessionClients?: string[];
  lastUsedClientID?: string | null;
  lastUsedUsername?: string;
  lastUsedConnection?: { name: string; strategy: string };
}

export interface ClientOptions {
  /** The IdP's base URL, e.g. `https://login.fabrikamcorp.com` (a bare host name means https). */
  domain: string;
  clientId: string;
  /** Default redirect URI for authorize() and handleRedirectCallback(). */
  redirectUri?: string;
  /** Injection points for tests and non-browser hosts. */
  fetch?: typeof fetch;
  navigate?: (url: string) => void;
  storage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
}

export interface AuthorizeOptions {
  redirectUri?: string;
  scope?: string;
  connection?: string;
  prompt?: 'none' | 'login';
  loginHint?: string;
  /** Opaque value returned to handleRedirectCallback as `appState`. */
  appState?: string;
}

export interface LogoutOptions {
  returnTo?: string;
  clientId?: string;
  federated?: boolean;
}

export interface CallbackResult {
  idToken: string;
  accessToken: string;
  refreshToken?: string;
  expiresIn?: number;
  claims: Record<string, unknown>;
  appState?: string;
}

export type NodeCallback<T> = (err: Error | null, value?: T) => void;

export class AdieuError extends Error {
  constructor(readonly error: string, readonly errorDescription?: string) {
    super(errorDescription ? `${error}: ${errorDescription}` : error);
    this.name = 'AdieuError';
  }
}

const STORAGE_PREFIX = 'adieu.tx.';

function base64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function random(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

async function s256(verifier: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
}

/** Decodes a JWT payload (no verification: the token came straight from the token endpoint over TLS). */
export function decodeJwt(token: string): Record<string, unknown> {
  const part = token.split('.')[1];
  if (!part) throw new AdieuError('invalid_token', 'not a JWT');
  const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
  return JSON.parse(decodeURIComponent(Array.from(json, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join('')));
}

export function normalizeDomain(domain: string): string {
  const withScheme = /^https?:\/\//.test(domain) ? domain : `https://${domain}`;
  return withScheme.replace(/\/+$/, '');
}

export function createClient(options: ClientOptions) {
  if (!options?.domain || !options.clientId) throw new TypeError('createClient needs { domain, clientId }');
  const base = normalizeDomain(options.domain);
  const doFetch = options.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args));
  const navigate = options.navigate ?? ((url: string) => window.location.assign(url));
  const storage = options.storage ?? window.sessionStorage;

  function withCallback<T>(promise: Promise<T>, cb?: NodeCallback<T>): Promise<T> {
    if (cb) promise.then((v) => cb(null, v), (e) => cb(e instanceof Error ? e : new Error(String(e))));
    return promise;
  }

  /** The reference document's getSSOData: which applications this browser's SSO session knows. */
  function getSSOData(cb?: NodeCallback<SsoData>): Promise<SsoData> {
    const p = (async () => {
      const res = await doFetch(`${base}/user/ssodata`, { credentials: 'include', headers: { accept: 'application/json' } });
      const body = await res.json().catch(() => ({}));
      if (!res.ok) throw new AdieuError(body.error ?? `http_${res.status}`, body.error_description);
      return body as SsoData;
    })();
    return withCallback(p, cb);
  }

  /** Builds the authorization URL and stores the PKCE verifier; authorize() navigates to it. */
  async function buildAuthorizeUrl(o: AuthorizeOptions = {}): Promise<string> {
    const redirectUri = o.redirectUri ?? options.redirectUri;
    if (!redirectUri) throw new TypeError('authorize needs a redirectUri');
    const state = random(16);
    const nonce = random(16);
    const verifier = random(32);
    storage.setItem(STORAGE_PREFIX + state, JSON.stringify({ verifier, nonce, redirectUri, appState: o.appState }));
    const url = new URL(`${base}/authorize`);
    const params: Record<string, string | undefined> = {
      client_id: options.clientId, response_type: 'code', redirect_uri: redirectUri, scope: o.scope ?? 'openid profile email',
      state, nonce, code_challenge: await s256(verifier), code_challenge_method: 'S256',
      connection: o.connection, prompt: o.prompt, login_hint: o.loginHint,
    };
    for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
    return url.href;
  }

  async function authorize(o: AuthorizeOptions = {}): Promise<void> {
    navigate(await buildAuthorizeUrl(o));
  }

  /** Finishes a sign-in on the redirect URI: checks state, exchanges the code (PKCE), checks the ID token. */
  async function handleRedirectCallback(url: string = window.location.href): Promise<CallbackResult> {
    const params = new URL(url).searchParams;
    const state = params.get('state');
    const saved = state ? storage.getItem(STORAGE_PREFIX + state) : null;
    if (!state || !saved) throw new AdieuError('invalid_state', 'no sign-in in progress for this state');
    storage.removeItem(STORAGE_PREFIX + state);
    const tx = JSON.parse(saved) as { verifier: string; nonce: string; redirectUri: string; appState?: string };
    if (params.get('error')) throw new AdieuError(params.get('error')!, params.get('error_description') ?? undefined);
    const code = params.get('code');
    if (!code) throw new AdieuError('invalid_request', 'no code in the callback URL');
    const res = await doFetch(`${base}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: tx.redirectUri, client_id: options.clientId, code_verifier: tx.verifier }).toString(),
    });
    const body = await res.json();
    if (!res.ok) throw new AdieuError(body.error ?? `http_${res.status}`, body.error_description);
    const claims = decodeJwt(body.id_token);
    if (claims.iss !== base) throw new AdieuError('invalid_token', 'unexpected issuer');
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!aud.includes(options.clientId)) throw new AdieuError('invalid_token', 'ID token not issued for this client');
    if (claims.nonce !== tx.nonce) throw new AdieuError('invalid_token', 'nonce mismatch');
    return {
      idToken: body.id_token, accessToken: body.access_token, refreshToken: body.refresh_token, expiresIn: body.expires_in,
      claims, appState: tx.appState,
    };
  }

  /** The document's logout endpoint: /v2/logout?returnTo=&client_id=&federated */
  function buildLogoutUrl(o: LogoutOptions = {}): string {
    const params = new URLSearchParams();
    if (o.returnTo) params.set('returnTo', o.returnTo);
    const clientId = o.clientId ?? (o.returnTo ? options.clientId : undefined);
    if (clientId) params.set('client_id', clientId);
    // `federated` is a bare flag, as in the reference document
    const query = [params.toString(), o.federated ? 'federated' : ''].filter(Boolean).join('&');
    return `${base}/v2/logout${query ? `?${query}` : ''}`;
  }

  function logout(o: LogoutOptions = {}): void {
    navigate(buildLogoutUrl(o));
  }

  return { getSSOData, authorize, buildAuthorizeUrl, handleRedirectCallback, logout, buildLogoutUrl, domain: base, clientId: options.clientId };
}

export type AdieuClient = ReturnType<typeof createClient>;

/**
 * The confirmation snippet for an application's logout page: tells the logout page framing it
 * (Adieu's, or a single-logout application) that this application really signed the user out,
 * or that it saw no session (in a frame, usually: the browser blocked its cookies).
 */
export function confirmLogout(status: LogoutMessage['status'] = 'signed_out', target: Window | null = typeof window !== 'undefined' && window.parent !== window ? window.parent : null): boolean {
  if (!target) return false;
  // The message carries no secret; the receiving page checks event.source and event.origin.
  const message: LogoutMessage = { type: LOGOUT_MESSAGE_TYPE, status };
  target.postMessage(message, '*');
  return true;
}
