import type { Delivery, Json } from '../../storage/types.ts';
import type { BrowserChannel } from './channel.ts';

/**
 * An application's own logout URL (`logout_url`), loaded as registered: what the reference
 * document's single-logout application frames. Only for applications no standard channel reaches.
 */
export const legacyGet: BrowserChannel = {
  name: 'legacy_get',
  label: 'logout URL',
  kind: 'browser',
  fallback: true,
  target(m: Json) {
    const uri = m.logout_url as string | undefined;
    return uri ? { target: uri, include_sid: false } : undefined;
  },
  url(d: Delivery) {
    return URL.parse(d.target ?? '') ?? undefined;
  },
};
