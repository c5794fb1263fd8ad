import type { Logger } from 'pino';
import type { UpstreamConnection } from '../connections/upstream.ts';

/** Pending federated logouts (oidc payload model), keyed by the state sent upstream. */
export const PENDING_FEDERATED = 'FederatedLogout';
/** Where the upstream IdP sends the browser back after its own logout. */
export const FEDERATED_RETURN_PATH = '/v2/logout/federated/callback';

export interface PendingFederatedLogout {
  connection: string;
  id_token: string;
  returnTo: string | null;
}

/**
 * The upstream IdP's end-session URL for a federated logout, or undefined when the connection
 * is gone, has no end-session endpoint or cannot be reached: the user is already signed out
 * here, and an unreachable upstream must not strand them.
 */
export async function upstreamLogoutUrl(
  upstreams: Map<string, UpstreamConnection>, pending: Pick<PendingFederatedLogout, 'connection' | 'id_token'>,
  baseUrl: string, state: string, logger: Logger,
): Promise<string | undefined> {
  try {
    const url = await upstreams.get(pending.connection)?.endSessionUrl(pending.id_token, `${baseUrl}${FEDERATED_RETURN_PATH}`, state);
    return url?.href;
  } catch (err) {
    logger.warn({ err, connection: pending.connection }, 'federated logout: upstream unreachable');
    return undefined;
  }
}
