// A SAML service provider nobody here wrote: @node-saml/node-saml (what passport-saml apps run),
// registered at an Adieu as a client, driven over HTTP by a UserAgent.
import type { Profile, SAML } from '@node-saml/node-saml';
import { nodeSamlFor } from '../demo/saml-app/node-saml.ts';
import { generateSigningCredentials } from '../src/saml/idp-credentials.ts';
import type { SigningCredentials } from '../src/saml/signature.ts';
import { PASSWORD } from './idp.ts';
import type { FollowResult, UserAgent } from './user-agent.ts';

export interface NodeSamlSp {
  client_id: string;
  entity_id: string;
  acs: string;
  slo: string;
  credentials: SigningCredentials;
  /** The registration Adieu gets (config `clients` entry or management API body). */
  registration(extra?: Record<string, unknown>): Record<string, unknown>;
  /** node-saml configured against the IdP at `issuer` (its certificate from the IdP's metadata); `decrypt`: it can read encrypted assertions. */
  saml(issuer: string, options?: { decrypt?: boolean }): Promise<SAML>;
}

let shared: Promise<SigningCredentials> | undefined;

/** One SP; its RSA key is made once per test process (key generation is the slow part). */
export async function nodeSamlSp(client_id: string, base = `http://localhost:9/${client_id}`): Promise<NodeSamlSp> {
  const credentials = await (shared ??= generateSigningCredentials('node-saml sp'));
  const sp: NodeSamlSp = {
    client_id,
    entity_id: `${base}/metadata`,
    acs: `${base}/acs`,
    slo: `${base}/slo`,
    credentials,
    registration: (extra = {}) => ({
      client_id,
      client_name: `SAML ${client_id}`,
      saml: {
        entity_id: sp.entity_id,
        assertion_consumer_services: [{ binding: 'HTTP-POST', location: sp.acs }],
        single_logout_services: [{ binding: 'HTTP-Redirect', location: sp.slo }],
        signing_certificates: [credentials.certificate_pem],
        name_id_format: 'email',
        ...extra,
      },
    }),
    saml: (issuer: string, options = {}) => nodeSamlFor({ issuer, clientId: client_id, entityId: sp.entity_id, acs: sp.acs, credentials, nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress', ...options }),
  };
  return sp;
}

/** The hidden fields of a POST-binding page (bindings §3.5). */
export function postedFields(page: FollowResult): { action: string; fields: Record<string, string> } {
  const form = /<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/.exec(page.body);
  if (!form) throw new Error(`no POST-binding form at ${page.url}: ${page.response.status} ${page.body.slice(0, 400)}`);
  const fields: Record<string, string> = {};
  for (const input of form[2]!.matchAll(/<input[^>]*name="([^"]*)"[^>]*value="([^"]*)"/g)) fields[input[1]!] = input[2]!.replace(/&amp;/g, '&').replace(/&quot;/g, '"');
  return { action: form[1]!.replace(/&amp;/g, '&'), fields };
}

/**
 * SP-initiated SSO: node-saml's AuthnRequest (Redirect binding, signed), the login page if the
 * browser has no session, and the POST-binding Response node-saml validates.
 */
export async function samlSignIn(ua: UserAgent, saml: SAML, options: { relayState?: string; password?: string } = {}) {
  const url = await saml.getAuthorizeUrlAsync(options.relayState ?? '', undefined, {});
  let page = await ua.follow(url);
  const passwordPrompted = /type="password"/.test(page.body);
  if (passwordPrompted) {
    page = await ua.submitForm(page, { username: 'mary@fabrikamcorp.com', password: options.password ?? PASSWORD }, /\/login$/);
  }
  const { fields } = postedFields(page);
  const result = await saml.validatePostResponseAsync(fields);
  return { profile: result.profile as Profile, relayState: fields.RelayState, passwordPrompted, page };
}
