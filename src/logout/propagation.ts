import type { JWK } from 'jose';
import type { Logger } from 'pino';
import { readSettingFile } from '../config/load.ts';
import type { AdieuConfig } from '../config/schema.ts';
import { DEFAULT_SIGNING_ALG } from '../provider/keys.ts';
import type { SamlIdp } from '../saml/idp.ts';
import { randomUUID } from 'node:crypto';
import type { ClientMetadata } from '../clients/metadata.ts';
import { SUCCESS_STATUSES, type Delivery, type DeliveryStatus, type EndedSessionData, type LogoutPlan, type SsoSessionRecord, type Storage } from '../storage/types.ts';
import { createChannels, type Channels } from './channels/index.ts';
import { LogoutEvents } from './events.ts';
import { hostPolicy, type HostPolicy } from './host-policy.ts';
import { logoutTokenSigner } from './logout-token.ts';
import { createLogoutMetrics, type LogoutMetrics } from './metrics.ts';
import { OutboxWorker } from './outbox-worker.ts';
import { newLogoutId, planLogout, type PlanOptions } from './plan.ts';
import type { CircuitState } from './target-gate.ts';
import { ENDINGS, type EndTrigger } from '../sessions/end-session.ts';

/** Planned statuses that mean the application will not be told. */
export const UNREACHED: ReadonlySet<DeliveryStatus> = new Set(['skipped', 'no_channel', 'rejected']);

/** Extra time the logout page has, past its own wait, to report what the frames did. */
const BROWSER_REPORT_GRACE_MS = 60_000;

/** See LogoutPropagation.prepare. */
export interface PreparedLogout {
  plan(ended: EndedSessionData): LogoutPlan;
  send(): Promise<void>;
  release(): void;
}

export interface PlanRequest {
  uid: string;
  trigger: string;
  browser: boolean;
  returnTo: string | null;
  initiator?: string;
  actor?: string;
}

/** What a test logout sent to one of an application's logout URLs came to (the management API's probe). */
export interface ProbeResult {
  channel: string;
  label: string;
  target: string;
  /** Whether Adieu could send it itself (browser channels are only loaded by the logout page). */
  sent: boolean;
  ok: boolean;
  /** The application answered (any HTTP status), as opposed to a refused connection or a timeout. */
  answered: boolean;
  error: string | null;
  latency_ms: number | null;
}

/**
 * Everything that happens after a session ends: planning one delivery per application and
 * channel (inside the ending transaction), the back-channel worker, the browser's reports,
 * completion, events and metrics.
 */
export class LogoutPropagation {
  readonly events: LogoutEvents;
  readonly metrics: LogoutMetrics;
  readonly worker: OutboxWorker;
  readonly channels: Channels;
  readonly #policy: HostPolicy;
  #expiryTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly storage: Storage,
    private readonly config: AdieuConfig,
    signer: Awaited<ReturnType<typeof logoutTokenSigner>>,
    saml: SamlIdp,
    private readonly logger: Logger,
  ) {
    this.events = new LogoutEvents(logger);
    this.metrics = createLogoutMetrics(storage, () => this.worker.openCircuits(), config.metrics.queue_depth_max_age_ms);
    const bc = config.logout.backchannel;
    this.#policy = hostPolicy(bc.allowed_hosts, bc.denied_hosts);
    this.channels = createChannels({ sign: signer, policy: this.#policy, timeout_ms: bc.timeout_ms, saml, frontchannel_timeout_ms: config.logout.frontchannel.timeout_ms, ca: bc.ca_file && readSettingFile('logout.backchannel.ca_file', bc.ca_file) });
    this.worker = new OutboxWorker(storage, bc, this.channels, this.#policy, this.events, this.metrics, logger, (id) => this.settle(id));
  }

  static async create(storage: Storage, config: AdieuConfig, signingKeys: JWK[], saml: SamlIdp, logger: Logger) {
    return new LogoutPropagation(storage, config, await logoutTokenSigner(config.issuer, signingKeys, DEFAULT_SIGNING_ALG), saml, logger);
  }

  /** Why a back-channel target would be refused, or undefined when it is allowed. */
  checkHost(target: string) {
    return this.#policy.checkUrl(target);
  }

  /**
   * A logout about to be written: `plan` runs inside the transaction that ends the session,
   * `send` after it committed, `release` always (in a `finally`) — it gives back the worker slots
   * set aside for deliveries that were not sent, and does nothing once they were.
   */
  prepare(request: PlanRequest): PreparedLogout {
    let produced: { plan: LogoutPlan; prepared: Map<string, Promise<string> | undefined> } | undefined;
    let sent = false;
    return {
      plan: (ended) => {
        produced = this.#claimLocally(planLogout(ended, this.#planOptions(request)));
        return produced.plan;
      },
      send: async () => {
        if (!produced || sent) return;
        sent = true;
        await this.#send(produced.plan, produced.prepared);
      },
      release: () => {
        const claim = produced?.plan.claim;
        if (sent || !claim) return;
        produced = undefined;
        this.worker.unreserve(claim.targets.size, [...claim.targets.values()]);
      },
    };
  }

  #planOptions(request: PlanRequest): PlanOptions {
    return {
      ...request,
      logoutId: newLogoutId(),
      now: Date.now(),
      channels: this.channels.all,
      serverDeadlineMs: this.config.logout.backchannel.deadline_seconds * 1000,
      browserDeadlineMs: this.config.logout.frontchannel.timeout_ms + BROWSER_REPORT_GRACE_MS,
      checkHost: (target) => this.#policy.checkUrl(target),
    };
  }

  /**
   * What ending this live session would reach, without ending it: the very plan an ending would
   * write, not written. `browser`: whether the person's browser would show the logout page (an
   * admin's ending has none, so front-channel-only applications are not reached).
   */
  preview(record: SsoSessionRecord, clientMetadata: Map<string, ClientMetadata>, trigger: EndTrigger, browser = ENDINGS[trigger].browser): Delivery[] {
    const ended: EndedSessionData = { record, session: undefined, revokedGrantIds: [], clientMetadata };
    return planLogout(ended, this.#planOptions({ uid: record.uid, trigger, browser, returnTo: null })).deliveries;
  }

  /**
   * Which ways of ending a session reach this application, and by which channels: the plan an
   * ending of each kind would make for a session holding only this application (with or
   * without the person's browser showing the logout page, under the host policy).
   */
  coverage(metadata: ClientMetadata): { trigger: EndTrigger; label: string; browser: boolean; channels: string[]; unreached: string | null }[] {
    const now_s = Math.floor(Date.now() / 1000);
    const record: SsoSessionRecord = {
      uid: 'coverage', account_id: 'coverage', username: 'coverage', connection: { name: 'coverage', strategy: 'coverage' },
      clients: [{ client_id: metadata.client_id, sid: 'sid', name_id: { value: 'subject', format: 'unspecified' }, first_at: now_s, last_at: now_s }],
      last_used_client_id: metadata.client_id, upstream: null, created_at: now_s, updated_at: now_s, expires_at: now_s,
    };
    const clients = new Map([[metadata.client_id, metadata]]);
    return (Object.entries(ENDINGS) as [EndTrigger, (typeof ENDINGS)[EndTrigger]][]).map(([trigger, ending]) => {
      const planned = this.preview(record, clients, trigger);
      const reaching = planned.filter((d) => !UNREACHED.has(d.status));
      return {
        trigger, label: ending.label, browser: ending.browser, channels: reaching.map((d) => d.channel),
        unreached: reaching.length ? null : planned.map((d) => d.last_error).filter(Boolean).join('; ') || 'not reached',
      };
    });
  }

  /** Sends a failed (or waiting) delivery again now, with a new deadline; undefined when it cannot be. */
  async retry(deliveryId: string, actor: string): Promise<Delivery | undefined> {
    const now = Date.now();
    const d = await this.storage.retryDelivery(deliveryId, now, now + this.config.logout.backchannel.deadline_seconds * 1000, actor);
    if (d) this.worker.kick();
    return d;
  }

  /** Stops a delivery that is not final; the logout completes if it was the last one open. */
  async cancel(deliveryId: string, reason: string): Promise<Delivery | undefined> {
    const d = await this.storage.cancelDelivery(deliveryId, reason, Date.now());
    if (d) {
      this.#final(d);
      await this.settle(d.logout_id);
    }
    return d;
  }

  /** The circuit breaker's state for a logout URL on this node. */
  circuit(target: string): CircuitState {
    return this.worker.circuit(target);
  }

  /**
   * A test logout to each logout URL of an application that Adieu sends itself, through the
   * channel's own code (a logout token, or a SAML LogoutRequest, for a subject and session that
   * do not exist: `adieu-probe`). Nothing is stored and the circuit breaker is not touched.
   */
  async probe(metadata: ClientMetadata): Promise<ProbeResult[]> {
    const now = Date.now();
    const app = { client_id: metadata.client_id, sid: `adieu-probe-${randomUUID()}`, name_id: { value: 'adieu-probe', format: 'unspecified' as const }, first_at: 0, last_at: 0 };
    const results: ProbeResult[] = [];
    for (const channel of this.channels.all) {
      const where = channel.target(metadata, app);
      if (!where) continue;
      const base = { channel: channel.name, label: channel.label, target: where.target };
      if (channel.kind === 'browser') {
        results.push({ ...base, sent: false, ok: false, answered: false, latency_ms: null, error: 'loaded by the person\'s browser from the logout page; Adieu cannot send it itself' });
        continue;
      }
      const refused = this.#policy.checkUrl(where.target);
      if (refused) {
        results.push({ ...base, sent: false, ok: false, answered: false, latency_ms: null, error: refused });
        continue;
      }
      const d: Delivery = {
        id: randomUUID(), logout_id: 'probe', position: 0, client_id: metadata.client_id, client_name: metadata.client_name ?? null,
        channel: channel.name, target: where.target, sid: app.sid, sub: 'adieu-probe', include_sid: where.include_sid,
        channel_params: where.channel_params ?? null,
        status: 'delivering', attempts: 1, last_error: null, latency_ms: null, next_attempt_at: now, deadline_at: now,
        created_at: now, updated_at: now, completed_at: null,
      };
      const started = performance.now();
      const result = await channel.attempt(d);
      results.push({ ...base, sent: true, ok: result.ok, answered: result.answered, error: result.error, latency_ms: Math.round(performance.now() - started) });
    }
    return results;
  }

  /**
   * The node that ends a session sends what it can itself: deliveries of channels Adieu sends,
   * up to the worker's free capacity, are written already claimed (a lease, like any claim), so
   * they go out right after the commit without a claim query. Should the node die, the lease runs
   * out and any node takes them over. Their channels prepare them (sign logout tokens, on the
   * thread pool) while the transaction writes them, so the first request leaves as soon as it commits.
   */
  #claimLocally(plan: LogoutPlan) {
    const prepared = new Map<string, Promise<string> | undefined>();
    const sendable = (d: Delivery) => d.status === 'pending' && !!this.channels.server(d.channel);
    const free = this.worker.reserve(plan.deliveries.filter(sendable).length);
    if (free === 0) return { plan, prepared };
    const targets = new Map<string, string>();
    for (const d of plan.deliveries) {
      if (targets.size === free) break;
      // a target that is busy or failing is left to the worker's claims
      if (!sendable(d) || !this.worker.admit(d.target!)) continue;
      d.status = 'delivering';
      d.attempts = 1;
      targets.set(d.id, d.target!);
      prepared.set(d.id, this.worker.prepare(d));
    }
    this.worker.unreserve(free - targets.size);
    if (targets.size === 0) return { plan, prepared };
    return { plan: { ...plan, claim: { nodeId: this.worker.nodeId, until: Date.now() + this.worker.leaseMs, targets } }, prepared };
  }

  /** After the ending transaction committed: the locally claimed deliveries first (they hold worker slots), events, the worker. */
  async #send(plan: LogoutPlan, prepared: Map<string, Promise<string> | undefined>) {
    if (plan.claim) this.worker.dispatch(plan.deliveries.filter((d) => plan.claim!.targets.has(d.id)), plan.claim.targets.size, prepared);
    this.metrics.logouts.inc({ trigger: plan.record.trigger });
    this.events.publish('logout.started', { logout: plan.record, deliveries: plan.deliveries });
    for (const d of plan.deliveries) {
      if (d.completed_at !== null) this.#final(d);
    }
    // what was left pending for a busy application is claimed when one of its slots frees
    if (plan.deliveries.some((d) => d.status === 'pending' && d.target !== null && this.worker.wouldClaim(d.target))) this.worker.kick();
    // with a delivery still open its outcome settles the logout; checking now would only cost
    if (plan.deliveries.every((d) => d.completed_at !== null)) await this.settle(plan.record.id);
  }

  #final(d: Delivery) {
    this.metrics.outcomes.inc({ channel: d.channel, status: d.status });
    if (d.latency_ms != null) this.metrics.latency.observe({ channel: d.channel, status: d.status }, d.latency_ms / 1000);
    if (!SUCCESS_STATUSES.has(d.status)) this.events.publish('delivery.failed', { delivery: d });
    else this.events.publish('delivery.succeeded', { delivery: d });
  }

  /** Completes the logout when no delivery is pending; exactly one caller publishes it. */
  async settle(logoutId: string) {
    const done = await this.storage.completeLogoutIfDone(logoutId, Date.now());
    if (done) this.events.publish('logout.completed', { logout: done });
  }

  /** Results the logout page observed in the browser for front-channel and legacy deliveries. */
  async report(logoutId: string, reports: { id: string; status: DeliveryStatus; last_error: string | null; latency_ms: number | null }[]) {
    const updated = await this.storage.reportBrowserDeliveries(logoutId, reports, Date.now());
    if (updated > 0) {
      const logout = await this.storage.getLogout(logoutId);
      const reported = new Set(reports.map((r) => r.id));
      for (const d of logout?.deliveries ?? []) if (reported.has(d.id) && d.completed_at !== null && d.attempts === 1) this.#final(d);
      await this.settle(logoutId);
    }
    return updated;
  }

  start() {
    this.worker.start();
    this.#expiryTimer = setInterval(() => {
      this.storage.expireBrowserDeliveries(Date.now())
        .then((ids) => Promise.all(ids.map((id) => this.settle(id))))
        .catch((err) => this.logger.error({ err }, 'expiring browser deliveries failed'));
    }, 5_000);
    this.#expiryTimer.unref();
  }

  async stop() {
    clearInterval(this.#expiryTimer);
    await this.worker.stop();
  }
}
