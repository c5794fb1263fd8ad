import type { Delivery } from '../../storage/types.ts';
import { registeredTarget, type BrowserChannel } from './channel.ts';

/** OpenID Connect Front-Channel Logout 1.0: the logout page frames `frontchannel_logout_uri`. */
export const frontchannel: BrowserChannel = {
  name: 'frontchannel',
  label: 'front-channel',
  kind: 'browser',
  target: registeredTarget('frontchannel_logout_uri', 'frontchannel_logout_session_required'),
  // §2: with frontchannel_logout_session_required the RP gets `iss` and `sid`
  url(d: Delivery, issuer: string) {
    const url = URL.parse(d.target ?? '');
    if (url && d.include_sid && d.sid) {
      url.searchParams.set('iss', issuer);
      url.searchParams.set('sid', d.sid);
    }
    return url ?? undefined;
  },
};
