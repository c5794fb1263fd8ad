/**
 * Adieu's two clocks, named by unit: oidc-provider payloads, SSO session records, users, clients
 * and keys keep epoch seconds (`_s` where a name could be read either way); logout records and
 * deliveries keep epoch milliseconds (`_ms`), since delivery latency is measured in them.
 */
export const epochSeconds = (ms: number = Date.now()): number => Math.floor(ms / 1000);

/** The management API's one timestamp format: ISO 8601 in UTC. */
export const isoFromSeconds = (s: number | null | undefined): string | null => (s == null ? null : new Date(s * 1000).toISOString());
export const isoFromMs = (ms: number | null | undefined): string | null => (ms == null ? null : new Date(ms).toISOString());

/**
 * Runs `run` every `interval_ms`, one run at a time (a long run is not overlapped), off the
 * process's keep-alive; `stop` waits for a run under way. Housekeeping: the expiry sweep, the SP
 * metadata refresh.
 */
export function repeatEvery(interval_ms: number, run: () => Promise<unknown>, onError: (err: unknown) => void): { stop(): Promise<void> } {
  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    running ??= run().catch(onError).finally(() => { running = undefined; });
  }, interval_ms);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
