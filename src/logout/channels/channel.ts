import type { ClientMetadata } from '../../clients/metadata.ts';
import type { ChannelParams, Delivery, SessionClient } from '../../storage/types.ts';

/** What one attempt of a delivery Adieu sends itself came to. */
export interface AttemptResult {
  ok: boolean;
  /** The application refused it for good: retrying would not help. */
  permanent: boolean;
  /** The application answered (what a target's circuit breaker counts as alive). */
  answered: boolean;
  error: string | null;
}

/**
 * One way of telling an application that its session ended. A channel says where it reaches an
 * application (from its registration) and how the person and the admin see it; the kind of
 * channel decides who carries the delivery out:
 * - `server`: Adieu sends it from the outbox — durable, retried with backoff, any node, bounded
 *   per target (outbox-worker.ts);
 * - `browser`: the logout page loads it in the person's browser and reports what happened
 *   (page.ts), only when a browser is there.
 *
 * Adding a channel is a file here and a line in `createChannels` (index.ts).
 */
interface ChannelBase {
  /** Stored in `deliveries.channel`; never renamed once used. */
  readonly name: string;
  /** How the person and the admin see the channel. */
  readonly label: string;
  /** Planned only for an application no other channel reaches. */
  readonly fallback?: boolean;
  /**
   * Where this channel reaches an application, from its registration and what the session
   * recorded of it (sid, a SAML NameID); undefined: it does not.
   */
  target(metadata: ClientMetadata, app: SessionClient): { target: string; include_sid: boolean; channel_params?: ChannelParams } | undefined;
}

export interface ServerChannel extends ChannelBase {
  readonly kind: 'server';
  /** Work that can start while the ending transaction commits (signing a logout token). */
  prepare(d: Delivery): Promise<string>;
  /** One attempt; `prepared` is what `prepare` made for it, if it ran. */
  attempt(d: Delivery, prepared?: Promise<string>): Promise<AttemptResult>;
  close(): Promise<void>;
}

export interface BrowserChannel extends ChannelBase {
  readonly kind: 'browser';
  /**
   * Who says the application signed out: the logout page watching its frame (default), or Adieu's
   * server receiving the application's answer (the page's report of success is then not taken).
   */
  readonly confirmedBy?: 'page' | 'server';
  /** Where the logout page loads it: a hidden frame (default), or a window it opens (top-level navigation). */
  readonly display?: 'frame' | 'window';
  /** The URL the logout page loads for a delivery, or undefined when it cannot. */
  url(d: Delivery, issuer: string): URL | undefined;
}

export type LogoutChannel = ServerChannel | BrowserChannel;

/** A channel's `target`: a URL from one registration field, `sid` required by another (if any). */
type UriField = 'backchannel_logout_uri' | 'frontchannel_logout_uri' | 'logout_url';
type SessionRequiredField = 'backchannel_logout_session_required' | 'frontchannel_logout_session_required';

export function registeredTarget(uriField: UriField, sessionRequiredField?: SessionRequiredField) {
  return (m: ClientMetadata) => {
    const uri = m[uriField];
    return uri ? { target: uri, include_sid: !!sessionRequiredField && m[sessionRequiredField] === true } : undefined;
  };
}
