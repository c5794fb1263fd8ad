/**
 * Adieu's two clocks, named by unit: oidc-provider payloads, SSO session records, users, clients
 * and keys keep epoch seconds (`_s` where a name could be read either way); logout records and
 * deliveries keep epoch milliseconds (`_ms`), since delivery latency is measured in them.
 */
export const epochSeconds = (ms: number = Date.now()): number => Math.floor(ms / 1000);

/** The management API's one timestamp format: ISO 8601 in UTC. */
export const isoFromSeconds = (s: number | null | undefined): string | null => (s == null ? null : new Date(s * 1000).toISOString());
export const isoFromMs = (ms: number | null | undefined): string | null => (ms == null ? null : new Date(ms).toISOString());
