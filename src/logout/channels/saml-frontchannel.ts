import { redirectUrl } from '../../saml/bindings.ts';
import type { SamlIdp } from '../../saml/idp.ts';
import { buildLogoutRequest } from '../../saml/messages.ts';
import type { Delivery } from '../../storage/types.ts';
import type { BrowserChannel } from './channel.ts';
import { samlTarget } from './saml.ts';

/**
 * The LogoutRequest ID of a front-channel delivery: the SP's LogoutResponse names it in
 * InResponseTo, which is how /samlp/:client_id/logout finds the delivery it confirms.
 */
export const frontchannelRequestId = (d: Pick<Delivery, 'id'>) => `_${d.id.replace(/-/g, '')}`;

/** The LogoutRequest a front-channel delivery carries (RelayState: the logout's id). */
export function frontchannelRequest(saml: SamlIdp, d: Delivery, lifetime_s: number) {
  return buildLogoutRequest({ id: frontchannelRequestId(d), issuer: saml.entityId, destination: d.target!, nameId: d.channel_params!.name_id!, sessionIndex: d.sid, now_ms: Date.now(), lifetime_s });
}

/** The SP's SLO URL with the delivery's signed LogoutRequest (HTTP-Redirect), or undefined when it has nothing to send. */
function redirectRequestUrl(saml: SamlIdp, d: Delivery, lifetime_s: number): URL | undefined {
  if (!d.target || !d.channel_params?.name_id) return undefined;
  return new URL(redirectUrl(d.target, 'SAMLRequest', frontchannelRequest(saml, d, lifetime_s), d.logout_id, saml.signer));
}

/** Where Adieu serves the POST-binding form of a front-channel delivery (saml/endpoints/slo.ts). */
export const postFormPath = (d: Pick<Delivery, 'logout_id' | 'id'>) => `/samlp/logout/${d.logout_id}/send/${d.id}`;

/**
 * SAML 2.0 Single Logout in the logout page, planned only for an SP no SOAP service reaches: the
 * page frames the SP's SLO service with a signed LogoutRequest — over HTTP-Redirect (the SLO URL
 * with a signed query), else HTTP-POST (a page of Adieu's that posts the signed request). It is
 * confirmed only when the SP's LogoutResponse comes back to Adieu's SLO endpoint (server-side,
 * never the frame's load event).
 */
export function samlFrontchannel({ saml, lifetime_s, binding }: { saml: SamlIdp; lifetime_s: number; binding: 'HTTP-Redirect' | 'HTTP-POST' }): BrowserChannel {
  return {
    name: binding === 'HTTP-Redirect' ? 'saml_redirect' : 'saml_post',
    label: binding === 'HTTP-Redirect' ? 'SAML front-channel' : 'SAML front-channel (POST)',
    kind: 'browser',
    fallback: true,
    confirmedBy: 'server',
    target: samlTarget(binding, 'frame'),
    url(d: Delivery, issuer: string) {
      if (binding === 'HTTP-Redirect') return redirectRequestUrl(saml, d, lifetime_s);
      return d.target && d.channel_params?.name_id ? new URL(postFormPath(d), issuer) : undefined;
    },
  };
}

/**
 * SAML Single Logout as a top-level navigation (HTTP-Redirect), for an SP registered with
 * `frontchannel_mode: top_level`: a top-level GET carries the SP's SameSite=Lax session cookie,
 * which a frame does not. The logout page opens one window and takes it through these SPs one
 * after another, each hop bounded by the front-channel timeout, so a dead SP costs one timeout
 * and never strands the person: the logout page itself never leaves.
 */
export function samlTopLevel({ saml, lifetime_s }: { saml: SamlIdp; lifetime_s: number }): BrowserChannel {
  return {
    name: 'saml_top_level',
    label: 'SAML top-level window',
    kind: 'browser',
    fallback: true,
    confirmedBy: 'server',
    display: 'window',
    target: samlTarget('HTTP-Redirect', 'top_level'),
    url: (d: Delivery) => redirectRequestUrl(saml, d, lifetime_s),
  };
}
