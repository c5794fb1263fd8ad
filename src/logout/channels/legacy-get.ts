import type { Delivery } from '../../storage/types.ts';
import { registeredTarget, type BrowserChannel } from './channel.ts';

/**
 * An application's own logout URL (`logout_url`), loaded as registered: what the reference
 * document's single-logout application frames. Only for applications no standard channel reaches.
 */
export const legacyGet: BrowserChannel = {
  name: 'legacy_get',
  label: 'logout URL',
  kind: 'browser',
  fallback: true,
  target: registeredTarget('logout_url'),
  url(d: Delivery) {
    return URL.parse(d.target ?? '') ?? undefined;
  },
};
