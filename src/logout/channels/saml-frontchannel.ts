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

/**
 * SAML 2.0 Single Logout over HTTP-Redirect, in the logout page: the page frames the SP's SLO URL
 * with a signed LogoutRequest (RelayState: the logout's id). It is confirmed only when the SP's
 * LogoutResponse comes back to Adieu's SLO endpoint (server-side, not the frame's load event).
 * Planned only for an SP no SOAP service reaches.
 */
export function samlFrontchannel({ saml, lifetime_s }: { saml: SamlIdp; lifetime_s: number }): BrowserChannel {
  return {
    name: 'saml_redirect',
    label: 'SAML front-channel',
    kind: 'browser',
    fallback: true,
    confirmedBy: 'server',
    target: samlTarget('HTTP-Redirect'),
    url(d: Delivery) {
      if (!d.target || !d.name_id) return undefined;
      const request = buildLogoutRequest({ id: frontchannelRequestId(d), issuer: saml.entityId, destination: d.target, nameId: d.name_id, sessionIndex: d.sid, now_ms: Date.now(), lifetime_s });
      return new URL(redirectUrl(d.target, 'SAMLRequest', request, d.logout_id, saml.signer));
    },
  };
}
