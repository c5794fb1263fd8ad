import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { AdieuConfig } from '../config/schema.ts';
import type { AttemptOutcome, Delivery, Storage } from '../storage/types.ts';
import type { AttemptResult, Channels } from './channels/index.ts';
import type { LogoutEvents } from './events.ts';
import type { HostPolicy } from './host-policy.ts';
import type { LogoutMetrics } from './metrics.ts';
import { OutcomeBatch } from './outcome-batch.ts';
import { backoff_ms, outcomeOf } from './retry.ts';
import { TargetGate } from './target-gate.ts';

type Settings = AdieuConfig['logout']['backchannel'];

/**
 * Works the outbox: claims due deliveries of the channels Adieu sends itself (logout/channels),
 * attempts them in parallel (bounded overall and per target), and records each outcome. Retries
 * use exponential backoff with jitter until the deadline. Any node can pick up any row, so a
 * restart or a second node resumes what another left.
 */
export class OutboxWorker {
  readonly nodeId = `${process.pid}-${randomUUID().slice(0, 8)}`;
  #inFlight = 0;
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  readonly #idle = new Set<() => void>();
  readonly #gate: TargetGate;

  constructor(
    private readonly storage: Storage,
    private readonly settings: Settings,
    private readonly channels: Channels,
    private readonly policy: HostPolicy,
    private readonly events: LogoutEvents,
    private readonly metrics: LogoutMetrics,
    private readonly logger: Logger,
    private readonly onSettled: (logoutId: string) => Promise<void>,
  ) {
    this.#gate = new TargetGate({
      perTargetConcurrency: settings.per_target_concurrency,
      failureThreshold: settings.circuit_failure_threshold,
      openMs: settings.circuit_open_ms,
      maxOpenMs: Math.max(settings.circuit_open_ms, settings.max_backoff_ms),
    });
  }

  /**
   * A claim's lease: twice what one attempt may take (its whole-attempt deadline is timeout_ms),
   * so a live attempt has always ended before another node may take the delivery over.
   */
  get leaseMs() {
    return this.settings.timeout_ms * 2 + 1_000;
  }

  /** Takes a slot at the delivery's target for an attempt this node will make (see TargetGate). */
  admit(target: string): boolean {
    return this.#gate.admit(target, Date.now()).ok;
  }

  /** Gives back reserved worker slots and admitted targets of attempts that will not be made. */
  unreserve(slots: number, targets: string[] = []) {
    this.#reserved -= slots;
    for (const t of targets) this.#gate.cancel(t);
  }

  /** A target's circuit on this node. */
  circuit(target: string) {
    return this.#gate.circuit(target, Date.now());
  }

  /** While a target's circuit is open on this node: when its next delivery may go (the probe). */
  probeAt(target: string) {
    return this.#gate.probeAt(target, Date.now());
  }

  /** Targets whose circuit is open or half-open (metrics). */
  openCircuits() {
    return this.#gate.openCircuits(Date.now());
  }

  start() {
    this.#timer = setInterval(() => this.kick(), this.settings.poll_interval_ms);
    this.#timer.unref();
    this.kick();
  }

  /** Looks for due deliveries now (the poll, a logout that left some pending, freed capacity). */
  kick() {
    this.#wantClaim = true;
    this.#schedule();
  }

  /** Claims what is due for `target`, whose slot just freed (its rows were left out of claims while it was full). */
  #refill(target: string) {
    this.#refillTargets.add(target);
    this.#schedule();
  }

  #wantClaim = false;
  readonly #refillTargets = new Set<string>();

  /** One claiming run at a time; what is asked for meanwhile is done by the next run, together. */
  #schedule() {
    if (this.#stopped) return;
    if (this.#ticking) {
      this.#again = true;
      return;
    }
    this.#ticking = this.#tick().catch((err) => {
      this.logger.error({ err }, 'back-channel worker tick failed');
    }).finally(() => {
      this.#ticking = undefined;
      if (this.#again) {
        this.#again = false;
        this.#schedule();
      }
    });
  }

  /** Whether a delivery to `target` left pending would be claimed now by this node (capacity, and the target not blocked). */
  wouldClaim(target: string): boolean {
    return this.#capacity > 0 && this.#gate.free(target, Date.now()) > 0;
  }

  /** Slots set aside for deliveries claimed in a logout's own transaction (see dispatch). */
  #reserved = 0;

  /** Attempts this node may still start: neither in flight nor reserved. */
  get #capacity() {
    return this.settings.concurrency - this.#inFlight - this.#reserved;
  }

  /** Reserves up to `wanted` delivery slots; returns how many it got. */
  reserve(wanted: number): number {
    if (this.#stopped) return 0;
    const free = Math.max(0, Math.min(wanted, this.#capacity));
    this.#reserved += free;
    return free;
  }

  /** Starts the channel's work for a delivery this node will send (signing its token), never rejecting unobserved. */
  prepare(d: Delivery): Promise<string> | undefined {
    return this.channels.server(d.channel)?.prepare(d);
  }

  /**
   * Sends deliveries this node already claimed, releasing the `reserved` slots; `prepared` holds
   * what their channels prepared in advance (signed tokens).
   */
  dispatch(deliveries: Delivery[], reserved: number, prepared?: Map<string, Promise<string> | undefined>) {
    this.#reserved -= reserved;
    for (const d of deliveries) this.#start(d, prepared?.get(d.id));
  }

  /** Sends a claimed delivery whose target admitted it. */
  #start(d: Delivery, token?: Promise<string>) {
    this.#inFlight++;
    this.#deliver(d, token).catch((err) => this.logger.error({ err, delivery_id: d.id }, 'delivery bookkeeping failed'))
      .finally(() => this.#attemptEnded());
  }

  #attemptEnded() {
    this.#inFlight--;
    if (this.#inFlight === 0) for (const resolve of this.#idle) resolve();
    // freed capacity: look again at once when the last claim filled every slot
    if (!this.#stopped && this.#capacity === 1) this.kick();
  }

  async #tick() {
    const targets = [...this.#refillTargets];
    this.#refillTargets.clear();
    // a freed slot takes the next of its own application's deliveries, as many as it has slots:
    // claiming for everyone and giving back what the busy application cannot take cost a claim
    // and a release of ~100 rows per delivery (a mass expiry ran at ~200 logout tokens/s)
    for (const target of targets) {
      const now = Date.now();
      const wanted = Math.min(this.#gate.free(target, now), this.#capacity);
      if (wanted <= 0 || this.#stopped) continue;
      // a logout ending meanwhile may have taken the target's slots (claimLocally): give those back
      const giveBack = this.#admitClaimed(await this.storage.claimDeliveries(this.nodeId, now, this.leaseMs, wanted, [], target), now);
      if (giveBack.length) await this.storage.releaseClaims(this.nodeId, giveBack);
    }
    if (!this.#wantClaim) return;
    this.#wantClaim = false;
    for (;;) {
      const capacity = this.#capacity;
      if (capacity <= 0 || this.#stopped) return;
      const now = Date.now();
      // an open circuit's backlog stays as it is: the claim skips its application without reading
      // it (storage: per-application claim). Moving it to each probe time rewrote every row of
      // it at each reopening: 67 ms at 10k rows, on SQLite the event loop's time
      const claimed = await this.storage.claimDeliveries(this.nodeId, now, this.leaseMs, capacity, this.#gate.blocked(now));
      const giveBack = this.#admitClaimed(claimed, now);
      if (giveBack.length) await this.storage.releaseClaims(this.nodeId, giveBack);
      if (claimed.length < capacity) return;
    }
  }

  /** Starts the claimed deliveries their targets admit; returns those to give back. */
  #admitClaimed(claimed: Delivery[], now: number): string[] {
    const giveBack: string[] = [];
    for (const d of claimed) {
      const admitted = this.#gate.admit(d.target!, now);
      if (admitted.ok) this.#start(d);
      // claimed only because its deadline passed while its target was blocked: no attempt
      else if (now >= d.deadline_at) this.#giveUp(d, admitted.reason);
      else giveBack.push(d.id); // its target filled up within this claim
    }
    return giveBack;
  }

  #giveUp(d: Delivery, reason: 'busy' | 'circuit_open') {
    const attempts = d.attempts - 1; // the claim counted an attempt that was not made
    const why = reason === 'circuit_open'
      ? `its circuit is open after ${this.settings.circuit_failure_threshold} consecutive failures`
      : 'its logout URL was busy with other deliveries';
    this.#inFlight++;
    // the application's last answer stays what the admin reads (as retry.ts's final failure keeps it)
    const last = d.last_error ? `; last: ${d.last_error}` : '';
    this.#outcomes.record(() => ({ status: 'failed', attempts, last_error: `gave up at the deadline after ${attempts} attempts; ${why}${last}`, next_attempt_at: Date.now(), completed_at: Date.now() }), d.id)
      .then((recorded) => recorded && this.#finished(d, recorded))
      .catch((err) => this.logger.error({ err, delivery_id: d.id }, 'delivery bookkeeping failed'))
      .finally(() => this.#attemptEnded());
  }

  /** One attempt; `answered` tells the target's circuit whether the application responded. */
  async #attempt(d: Delivery, prepared?: Promise<string>): Promise<AttemptResult> {
    const channel = this.channels.server(d.channel);
    if (!channel) return { ok: false, permanent: true, answered: true, error: `not sent: no channel ${d.channel} on this node` };
    // checked at every attempt: a retry queued before the policy changed is not sent
    const refused = this.policy.checkUrl(d.target!);
    if (refused) return { ok: false, permanent: true, answered: true, error: `not sent: ${refused}` };
    return channel.attempt(d, prepared);
  }

  /** Requests sent and not yet answered (or failed). */
  #awaitingAnswer = 0;
  readonly #outcomes = new OutcomeBatch((items) => this.storage.finishAttempts(this.nodeId, items), () => this.#awaitingAnswer > 0);

  async #deliver(d: Delivery, token?: Promise<string>) {
    this.#awaitingAnswer++;
    let result;
    try {
      result = await this.#attempt(d, token);
    } finally {
      this.#awaitingAnswer--;
    }
    const wasFull = this.#gate.full(d.target!);
    const circuit = this.#gate.release(d.target!, result.answered, Date.now());
    // the target's pending deliveries were left out of the claims while it was full: claim them
    // now, not at the next poll (a logout of many sessions to one application waited 500 ms per 16)
    if (wasFull) this.#refill(d.target!);
    if (circuit) {
      this.metrics.circuits.inc({ transition: circuit });
      this.events.publish(circuit === 'opened' ? 'circuit.opened' : 'circuit.closed', { target: d.target! });
    }
    const open = this.#gate.circuit(d.target!, Date.now()) !== 'closed';
    // attempts were counted when claimed
    const recorded = await this.#outcomes.record((now) => outcomeOf(result, d, now, backoff_ms(d.attempts, this.settings), open), d.id);
    if (!recorded) {
      this.logger.warn({ delivery_id: d.id }, 'delivery lease lost; another node owns it now');
      return;
    }
    this.#finished(d, recorded);
  }

  /** Metrics, events and the logout's completion after an outcome was recorded. */
  #finished(d: Delivery, recorded: { outcome: AttemptOutcome; now: number }) {
    const { outcome, now } = recorded;
    const latency = outcome.completed_at === null ? null : outcome.completed_at - d.created_at;
    const updated: Delivery = { ...d, ...outcome, latency_ms: latency, updated_at: now };
    this.metrics.attempts.inc({ result: outcome.status === 'retrying' ? 'retry' : outcome.status });
    if (outcome.status === 'retrying') {
      this.events.publish('delivery.retrying', { delivery: updated });
      return;
    }
    this.metrics.outcomes.inc({ channel: d.channel, status: outcome.status });
    this.metrics.latency.observe({ channel: d.channel, status: outcome.status }, latency! / 1000);
    this.events.publish(outcome.status === 'delivered' ? 'delivery.succeeded' : 'delivery.failed', { delivery: updated });
    this.#settle(d.logout_id);
  }

  // Completion checks are batched: a fan-out of n deliveries settles its logout once per
  // flush instead of n times.
  readonly #toSettle = new Set<string>();
  #settleScheduled = false;
  #settle(logoutId: string) {
    this.#toSettle.add(logoutId);
    if (this.#settleScheduled) return;
    this.#settleScheduled = true;
    setImmediate(() => {
      this.#settleScheduled = false;
      const ids = [...this.#toSettle];
      this.#toSettle.clear();
      for (const id of ids) this.onSettled(id).catch((err) => this.logger.error({ err, logout_id: id }, 'settling a logout failed'));
    });
  }

  /**
   * Until no attempt is in flight on this node, or `max_ms` passed: for work that paces itself by
   * the deliveries it causes (the expiry sweep).
   */
  idle(max_ms: number): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#idle.delete(done);
        resolve();
      };
      const timer = setTimeout(done, max_ms);
      this.#idle.add(done);
    });
  }

  /** Stops claiming; waits for attempts in flight (bounded by their timeout). */
  async stop() {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#ticking;
    if (this.#inFlight > 0) await new Promise<void>((resolve) => this.#idle.add(resolve));
    await this.channels.close();
  }
}
