import { join } from 'node:path';
import pino from 'pino';
import { parseConfig } from '../src/config/load.ts';
import { startAdieu, type AdieuServer } from '../src/server.ts';
import { startDemoApp, type DemoApp } from './app/server.ts';
import { startLogoutApp } from './logout-app/server.ts';
import { startSamlApp, type SamlApp } from './saml-app/server.ts';

/** The reference document's three applications, with its client ids. */
export const DOCUMENT_APPS = [
  { key: 'jwt', clientId: 'ATqGIGvsX5d9AWiOypgPOEBGkOVbrf55', name: 'JWT Debugger', tagline: 'Shows your decoded JWT ID token', accent: '#7c3aed' },
  { key: 'sharepoint', clientId: 'bOFty3tWgpijnwMcltysNFqHgO1ziz1I', name: 'SharePoint Intranet', tagline: 'Fabrikam news, documents and people', accent: '#0369a1' },
  { key: 'timesheets', clientId: 'h2NE1kxhzzFgLpNBvcCuyefjfwFVGx49', name: 'Timesheet SaaS', tagline: 'Log your hours', accent: '#047857' },
] as const;

/** The SAML application: Mary's sign-out reaches it as it reaches the OIDC ones. */
export const SAML_APP = { clientId: 'fabrikam-helpdesk', name: 'Fabrikam Helpdesk', tagline: 'Tickets for IT and facilities', accent: '#b45309' } as const;

export const DEMO_USER = { username: 'mary@fabrikamcorp.com', password: 'Fabrikam-Demo-2026', name: 'Mary' };
/** Fabrikam's IT admin, a local account at Adieu holding the console's admin role. */
export const DEMO_ADMIN = { username: 'admin@fabrikamcorp.com', password: 'Fabrikam-Admin-2026', name: 'Fabrikam IT' };
export const LOGOUT_APP_CLIENT_ID = 'fabrikam-logout';

/** How the IdP itself reaches each application at logout, besides the single-logout app. */
export type IdpChannel = 'backchannel' | 'frontchannel' | 'none';

export interface ScenarioOptions {
  /** IdP = base, FabrikamAD = base+1, logout app = base+100, OIDC applications = base+101..103, SAML application = base+104 */
  basePort: number;
  dataDir: string;
  /** Storage for the IdP; SQLite files under dataDir by default. */
  storage?: Record<string, unknown>;
  channels?: Partial<Record<(typeof DOCUMENT_APPS)[number]['key'], IdpChannel>>;
  /** Per application: GET logout answers this late (ms). */
  logoutDelays?: Partial<Record<(typeof DOCUMENT_APPS)[number]['key'], number>>;
  /** Applications the logout app does not know the logout URL of. */
  unknownToLogoutApp?: (typeof DOCUMENT_APPS)[number]['key'][];
  /** Applications whose logout page has no confirmation snippet. */
  withoutConfirmation?: (typeof DOCUMENT_APPS)[number]['key'][];
  logoutTimeoutMs?: number;
  federated?: boolean;
  logLevel?: string;
  /** The SAML application's Single Logout binding (default HTTP-Redirect). */
  samlSloBinding?: 'HTTP-Redirect' | 'HTTP-POST';
  /** The SAML application finds the session to end by its (SameSite=Lax) cookie; registered with this frontchannel_mode. */
  samlSessionByCookie?: boolean;
  samlFrontchannelMode?: 'frame' | 'top_level';
  /** Host name of the IdP's issuer (tests use 127.0.0.1 to make the applications cross-site). */
  idpHost?: string;
}

export interface Scenario {
  idp: AdieuServer;
  fabrikam: AdieuServer;
  logoutApp: { url: string; close(): Promise<void> };
  apps: Record<string, DemoApp & { clientId: string; name: string }>;
  samlApp: SamlApp;
  urls: { idp: string; fabrikam: string; logoutApp: string };
  close(): Promise<void>;
}

/** Starts the whole reference-document system: two IdPs, the single-logout app, three applications. */
export async function startScenario(o: ScenarioOptions): Promise<Scenario> {
  const idpUrl = `http://${o.idpHost ?? 'localhost'}:${o.basePort}`;
  const fabrikamUrl = `http://localhost:${o.basePort + 1}`;
  const logoutUrl = `http://localhost:${o.basePort + 100}`;
  const appUrl = (i: number) => `http://localhost:${o.basePort + 101 + i}`;
  const channels = { jwt: 'backchannel', sharepoint: 'backchannel', timesheets: 'backchannel', ...o.channels } as Record<string, IdpChannel>;
  const logger = pino({ level: o.logLevel ?? 'warn', name: 'adieu' });
  const upstreamSecret = 'fabrikam-ad-upstream-secret-0123';

  // FabrikamAD: the enterprise directory Mary signs in at (the document's ADFS), played by Adieu.
  const fabrikam = await startAdieu(parseConfig({
    issuer: fabrikamUrl, port: o.basePort + 1, cookie_prefix: 'fabrikamad', log_level: o.logLevel ?? 'warn',
    storage: { kind: 'sqlite', path: join(o.dataDir, 'fabrikam-ad.db') },
    tenant: { name: 'FabrikamAD', allowed_logout_urls: [] },
    connections: [{ type: 'database', name: 'FabrikamAD-Users', strategy: 'ad' }],
    clients: [{
      client_id: 'adieu', client_name: 'Fabrikam single sign-on', client_secret: upstreamSecret,
      redirect_uris: [`${idpUrl}/login/callback/FabrikamAD`], post_logout_redirect_uris: [`${idpUrl}/v2/logout/federated/callback`],
    }],
    users: [{ username: DEMO_USER.username, email: DEMO_USER.username, name: DEMO_USER.name, password: DEMO_USER.password }],
  }, {}), { logger: logger.child({ instance: 'fabrikam-ad' }) });

  // the SAML application first: its registration carries the certificate it signs with
  const samlApp = await startSamlApp({ ...SAML_APP, port: o.basePort + 104, issuer: idpUrl, sloBinding: o.samlSloBinding, sessionByCookie: o.samlSessionByCookie, frontchannelMode: o.samlFrontchannelMode });

  const idp = await startAdieu(parseConfig({
    issuer: idpUrl, port: o.basePort, log_level: o.logLevel ?? 'warn',
    storage: o.storage ?? { kind: 'sqlite', path: join(o.dataDir, 'adieu.db') },
    secrets: { admin_token: process.env.ADIEU_ADMIN_TOKEN ?? 'demo-admin-token-change-me' },
    users: [{ ...DEMO_ADMIN, email: DEMO_ADMIN.username, connection: 'Username-Password-Authentication', roles: ['admin'] }],
    tenant: { name: 'Fabrikam', allowed_logout_urls: [`${logoutUrl}/done`] },
    connections: [
      { type: 'database', name: 'Username-Password-Authentication', strategy: 'auth0' },
      { type: 'oidc', name: 'FabrikamAD', strategy: 'ad', display_name: 'FabrikamAD', issuer: fabrikamUrl, client_id: 'adieu', client_secret: upstreamSecret },
    ],
    logout: { frontchannel: { timeout_ms: o.logoutTimeoutMs ?? 5000 } },
    clients: [
      ...DOCUMENT_APPS.map((a, i) => ({
        client_id: a.clientId, client_name: a.name, client_secret: `${a.key}-demo-secret-0123456789`,
        redirect_uris: [`${appUrl(i)}/callback`], post_logout_redirect_uris: [`${appUrl(i)}/`],
        web_origins: [appUrl(i)], allowed_logout_urls: [`${appUrl(i)}/`, `${logoutUrl}/done`],
        logout_url: `${appUrl(i)}/logout`,
        ...(channels[a.key] === 'backchannel' ? { backchannel_logout_uri: `${appUrl(i)}/backchannel-logout`, backchannel_logout_session_required: true } : {}),
        ...(channels[a.key] === 'frontchannel' ? { frontchannel_logout_uri: `${appUrl(i)}/frontchannel-logout`, frontchannel_logout_session_required: true } : {}),
      })),
      {
        client_id: LOGOUT_APP_CLIENT_ID, client_name: 'Fabrikam sign-out', token_endpoint_auth_method: 'none',
        redirect_uris: [`${logoutUrl}/`], web_origins: [logoutUrl], allowed_logout_urls: [`${logoutUrl}/done`],
      },
      samlApp.registration,
    ],
  }, {}), { logger: logger.child({ instance: 'adieu' }) });

  const logoutApp = await startLogoutApp({
    port: o.basePort + 100, issuer: idpUrl, clientId: LOGOUT_APP_CLIENT_ID, timeoutMs: o.logoutTimeoutMs ?? 5000,
    federated: o.federated ?? true,
    clients: Object.fromEntries(DOCUMENT_APPS.filter((a) => !o.unknownToLogoutApp?.includes(a.key))
      .map((a) => [a.clientId, { name: a.name, logout_url: `${appUrl(DOCUMENT_APPS.indexOf(a))}/logout` }])),
  });

  const apps: Scenario['apps'] = {};
  for (const [i, a] of DOCUMENT_APPS.entries()) {
    const app = await startDemoApp({
      name: a.name, tagline: a.tagline, accent: a.accent, clientId: a.clientId, clientSecret: `${a.key}-demo-secret-0123456789`,
      port: o.basePort + 101 + i, issuer: idpUrl, signOutUrl: `${logoutUrl}/`, connection: 'FabrikamAD',
      logoutDelayMs: o.logoutDelays?.[a.key], confirm: !o.withoutConfirmation?.includes(a.key),
    });
    apps[a.key] = Object.assign(app, { clientId: a.clientId, name: a.name });
  }

  return {
    idp, fabrikam, logoutApp, apps, samlApp,
    urls: { idp: idpUrl, fabrikam: fabrikamUrl, logoutApp: logoutUrl },
    async close() {
      for (const app of Object.values(apps)) await app.close();
      await samlApp.close();
      await logoutApp.close();
      await idp.close();
      await fabrikam.close();
    },
  };
}
