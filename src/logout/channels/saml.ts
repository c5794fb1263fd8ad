import type { ClientMetadata } from '../../clients/metadata.ts';
import type { LogoutResponse } from '../../saml/messages.ts';
import { STATUS } from '../../saml/xml.ts';
import type { SessionClient } from '../../storage/types.ts';

type SloBinding = 'SOAP' | 'HTTP-Redirect' | 'HTTP-POST';

/**
 * A SAML channel's `target`: the SP's SingleLogoutService with this binding (for a browser
 * channel, only where the SP's frontchannel_mode is `mode`), and the NameID its sign-in was given
 * (no NameID recorded: the SP never completed a SAML sign-in, nothing to end).
 */
export function samlTarget(binding: SloBinding, mode?: 'frame' | 'top_level') {
  return (m: ClientMetadata, app: SessionClient) => {
    if (mode && (m.saml?.frontchannel_mode ?? 'frame') !== mode) return undefined;
    const service = m.saml?.single_logout_services?.find((s) => s.binding === binding);
    return service && app.name_id ? { target: service.location, include_sid: true, channel_params: { name_id: app.name_id } } : undefined;
  };
}

/** Short names of SAML status URNs, for the admin's and the person's reading. */
const shortStatus = (urn: string) => urn.replace('urn:oasis:names:tc:SAML:2.0:status:', '');

/**
 * What an SP's LogoutResponse says: signed out only on `Success` without `PartialLogout` (core
 * §3.7.3.2: the SP could not end everything); otherwise the answer, as a delivery's last_error.
 */
export function logoutOutcome(response: Pick<LogoutResponse, 'status' | 'subStatus' | 'statusMessage'>): { ok: boolean; status: string; error: string | null } {
  const ok = response.status === STATUS.success && response.subStatus !== STATUS.partialLogout;
  const status = [response.status, response.subStatus].filter((s) => s !== undefined).map((s) => shortStatus(s!)).join('/');
  return { ok, status, error: ok ? null : `LogoutResponse ${status}${response.statusMessage ? `: ${response.statusMessage}` : ''}` };
}
