import type { JWK } from 'jose';
import type { Logger } from 'pino';
import { readSettingFile } from '../config/load.ts';
import type { AdieuConfig } from '../config/schema.ts';
import { DEFAULT_SIGNING_ALG } from '../provider/keys.ts';
import type { SamlIdp } from '../saml/idp.ts';
import { SUCCESS_STATUSES, type Delivery, type DeliveryStatus, type EndedSessionData, type LogoutPlan, type Storage } from '../storage/types.ts';
import { createChannels, type Channels } from './channels/index.ts';
import { LogoutEvents } from './events.ts';
import { hostPolicy, type HostPolicy } from './host-policy.ts';
import { logoutTokenSigner } from './logout-token.ts';
import { createLogoutMetrics, type LogoutMetrics } from './metrics.ts';
import { OutboxWorker } from './outbox-worker.ts';
import { newLogoutId, planLogout } from './plan.ts';

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
        produced = this.#claimLocally(planLogout(ended, {
          ...request,
          logoutId: newLogoutId(),
          now: Date.now(),
          channels: this.channels.all,
          serverDeadlineMs: this.config.logout.backchannel.deadline_seconds * 1000,
          browserDeadlineMs: this.config.logout.frontchannel.timeout_ms + BROWSER_REPORT_GRACE_MS,
          checkHost: (target) => this.#policy.checkUrl(target),
        }));
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
    if (plan.deliveries.some((d) => d.status === 'pending')) this.worker.kick();
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
