/**
 * Per-target admission for back-channel deliveries: a cap on attempts in flight to one target,
 * and a circuit breaker. After `failureThreshold` consecutive failures a target's circuit opens:
 * nothing is sent to it for `openMs` (doubling on each failed probe, up to `maxOpenMs`), then
 * one probe attempt is let through (half-open); its success closes the circuit. A slow or dead
 * application then costs one slot, not the worker's whole capacity.
 *
 * Pure bookkeeping, no I/O: the worker asks and reports; time is passed in.
 */
export interface GateSettings {
  perTargetConcurrency: number;
  failureThreshold: number;
  openMs: number;
  maxOpenMs: number;
}

export type CircuitState = 'closed' | 'open' | 'half_open';

interface TargetState {
  inFlight: number;
  consecutiveFailures: number;
  /** While open: when the next probe may go. */
  openUntil: number;
  openedFor: number;
  probing: boolean;
}

export class TargetGate {
  readonly #targets = new Map<string, TargetState>();

  constructor(private readonly settings: GateSettings) {}

  #state(target: string): TargetState {
    let s = this.#targets.get(target);
    if (!s) {
      s = { inFlight: 0, consecutiveFailures: 0, openUntil: 0, openedFor: 0, probing: false };
      this.#targets.set(target, s);
    }
    return s;
  }

  circuit(target: string, now: number): CircuitState {
    const s = this.#targets.get(target);
    if (!s || s.consecutiveFailures < this.settings.failureThreshold) return 'closed';
    return now < s.openUntil ? 'open' : 'half_open';
  }

  /** While `target`'s circuit is open: when its probe may go (nothing goes to it before). */
  probeAt(target: string, now: number): number | undefined {
    return this.circuit(target, now) === 'open' ? this.#targets.get(target)!.openUntil : undefined;
  }

  /** Takes a slot for one attempt to `target`, or says why not. */
  admit(target: string, now: number): { ok: true } | { ok: false; reason: 'busy' | 'circuit_open' } {
    const s = this.#state(target);
    const circuit = this.circuit(target, now);
    if (circuit === 'open' || (circuit === 'half_open' && s.probing)) return { ok: false, reason: 'circuit_open' };
    if (s.inFlight >= this.settings.perTargetConcurrency) return { ok: false, reason: 'busy' };
    s.inFlight++;
    if (circuit === 'half_open') s.probing = true;
    return { ok: true };
  }

  /**
   * Ends an admitted attempt. `answered`: the target answered (any status an application
   * chose, 400 included); otherwise it timed out, refused or failed with 5xx. Returns
   * 'opened' when this result opened (or reopened) the circuit, 'closed' when it closed it.
   */
  release(target: string, answered: boolean, now: number): 'opened' | 'closed' | undefined {
    const s = this.#state(target);
    s.inFlight = Math.max(0, s.inFlight - 1);
    const wasProbe = s.probing;
    s.probing = false;
    const wasOpen = s.consecutiveFailures >= this.settings.failureThreshold;
    if (answered) {
      s.consecutiveFailures = 0;
      s.openedFor = 0;
      if (s.inFlight === 0) this.#targets.delete(target);
      return wasOpen ? 'closed' : undefined;
    }
    s.consecutiveFailures++;
    if (s.consecutiveFailures < this.settings.failureThreshold) return undefined;
    if (wasOpen && !wasProbe) return undefined; // an attempt admitted before it opened
    s.openedFor = s.openedFor ? Math.min(this.settings.maxOpenMs, s.openedFor * 2) : this.settings.openMs;
    s.openUntil = now + s.openedFor;
    return 'opened';
  }

  /** Attempts the target may take now beside those in flight: none while its circuit is not closed. */
  free(target: string, now: number): number {
    const s = this.#targets.get(target);
    if (this.circuit(target, now) !== 'closed') return 0;
    return this.settings.perTargetConcurrency - (s?.inFlight ?? 0);
  }

  /** Whether `target` has every slot taken: its pending deliveries are not claimed meanwhile. */
  full(target: string): boolean {
    return (this.#targets.get(target)?.inFlight ?? 0) >= this.settings.perTargetConcurrency;
  }

  /** Gives back a slot that admit() took for an attempt that was never made. */
  cancel(target: string) {
    const s = this.#targets.get(target);
    if (!s) return;
    s.inFlight = Math.max(0, s.inFlight - 1);
    s.probing = false;
    if (s.inFlight === 0 && s.consecutiveFailures === 0) this.#targets.delete(target);
  }

  /** Targets no attempt may be claimed for now: at their cap, or with an open circuit. */
  blocked(now: number): string[] {
    const out: string[] = [];
    for (const [target, s] of this.#targets) {
      const circuit = this.circuit(target, now);
      if (circuit === 'open' || (circuit === 'half_open' && s.probing) || s.inFlight >= this.settings.perTargetConcurrency) out.push(target);
    }
    return out;
  }

  /** Targets whose circuit is not closed, for the metrics gauge. */
  openCircuits(now: number): number {
    let n = 0;
    for (const target of this.#targets.keys()) if (this.circuit(target, now) !== 'closed') n++;
    return n;
  }
}
