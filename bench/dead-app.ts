import { freePort } from '../harness/idp.ts';
import type { AdieuServer } from '../src/server.ts';
import type { Delivery } from '../src/storage/types.ts';
import { session, startBenchIdp, startReceiver } from './fanout.ts';
import { percentiles, round2 } from './stats.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A dead application does not slow anyone else (#13 item 4). Five back-channel apps: four answer
 * at once from one receiver process, the fifth from a receiver of its own on a fixed port. Sessions
 * signed in to all five are ended at a steady rate, each phase a fresh set:
 *  - baseline: `logouts` logouts, the fifth app alive;
 *  - dead: its receiver is stopped (its port refuses connections) and `logouts` more logouts go on;
 *  - back: a receiver answers on that port again, and while its backlog drains `logouts / 5` more
 *    logouts go on.
 * Measured: the four healthy apps' delivery latency (from the call that ends the session to the
 * recorded outcome) against the baseline (target ≤ 1.2×), the attempts made to the dead app while
 * it was dead (bounded by its circuit breaker, not by the number of deliveries), and the backlog's
 * drain rate once it is back — with the new logouts' latency beside it (not starved).
 * The circuit opens after 5 failures (the default); it probes after 2 s, doubling to 8 s at most
 * (defaults: 30 s and 1 h, so the bench would wait minutes for the first probe).
 */
export async function benchDeadApp({ logouts = 10_000, rate_per_s = 100 } = {}) {
  const receiver = await startReceiver(0);
  const deadPort = await freePort();
  const HEALTHY = ['app0', 'app1', 'app2', 'app3'];
  const DEAD = 'app4';
  const url = (id: string) => (id === DEAD ? `http://127.0.0.1:${deadPort}/bcl/${id}` : receiver.url(id));
  let fifth: Awaited<ReturnType<typeof startReceiver>> | undefined = await startReceiver(0, deadPort);
  const idp = await startBenchIdp(5, url, 128, { backchannel: { circuit_open_ms: 2_000, initial_backoff_ms: 1_000, max_backoff_ms: 8_000 } });
  const adieu = idp.adieu;
  // every outcome, by phase of the logout it belongs to
  const logoutsById = new Map<string, { phase: Phase; started: number }>();
  type Phase = 'baseline' | 'dead' | 'back';
  const healthyMs: Record<Phase, number[]> = { baseline: [], dead: [], back: [] };
  const deadDelivered: { at: number; latency_ms: number; phase: Phase }[] = [];
  let deadAttemptsFailed = 0;
  const circuits = { opened: 0, closed: 0 };
  const record = (delivery: Delivery, now: number, logout: { phase: Phase; started: number }) => {
    if (delivery.client_id === DEAD) deadDelivered.push({ at: now, latency_ms: now - logout.started, phase: logout.phase });
    else healthyMs[logout.phase].push(now - logout.started);
  };
  // an answer may come before the call that ended the session has returned its logout's id
  const early = new Map<string, { delivery: Delivery; now: number }[]>();
  const onDelivered = ({ delivery }: { delivery: Delivery }) => {
    const logout = logoutsById.get(delivery.logout_id);
    if (logout) record(delivery, performance.now(), logout);
    else early.set(delivery.logout_id, [...early.get(delivery.logout_id) ?? [], { delivery, now: performance.now() }]);
  };
  const begun = (id: string, logout: { phase: Phase; started: number }) => {
    logoutsById.set(id, logout);
    for (const e of early.get(id) ?? []) record(e.delivery, e.now, logout);
    early.delete(id);
  };
  const onRetrying = ({ delivery }: { delivery: Delivery }) => { if (delivery.client_id === DEAD) deadAttemptsFailed++; };
  adieu.events.on('delivery.succeeded', onDelivered);
  adieu.events.on('delivery.retrying', onRetrying);
  adieu.events.on('circuit.opened', () => { circuits.opened++; });
  adieu.events.on('circuit.closed', () => { circuits.closed++; });
  try {
    const ALL = [...HEALTHY, DEAD];
    const run = async (phase: Phase, count: number) => {
      const uids = Array.from({ length: count }, (_, i) => `${phase}-${i}`);
      for (const uid of uids) await session(adieu, uid, ALL);
      const started = performance.now();
      await endAtRate(adieu, uids, rate_per_s, (id, at) => begun(id, { phase, started: at }));
      // every healthy delivery of the phase answered
      while (healthyMs[phase].length < count * HEALTHY.length) await sleep(20);
      return performance.now() - started;
    };
    await run('baseline', logouts);
    while (deadDelivered.length < logouts) await sleep(20);
    fifth.stop();
    fifth = undefined;
    const failedBefore = deadAttemptsFailed;
    const deadStarted = performance.now();
    await run('dead', logouts);
    const deadPhase_s = (performance.now() - deadStarted) / 1000;
    const attemptsWhileDead = deadAttemptsFailed - failedBefore;
    // it comes back on the same port; its backlog drains while new logouts go on
    fifth = await startReceiver(0, deadPort);
    const backAt = performance.now();
    const backlog = logouts;
    const newLogouts = Math.max(1, Math.round(logouts / 5));
    const back = run('back', newLogouts);
    const of = (phase: Phase) => deadDelivered.filter((d) => d.phase === phase);
    while (of('dead').length < backlog) await sleep(50);
    const drainedAt = performance.now();
    await back;
    while (of('back').length < newLogouts) await sleep(50);
    const firstBack = Math.min(...of('dead').map((d) => d.at));
    const base = percentiles(healthyMs.baseline);
    const dead = percentiles(healthyMs.dead);
    const during = percentiles(healthyMs.back);
    return {
      name: `a dead application: ${logouts} logouts at ${rate_per_s}/s to 5 apps, then ${logouts} with the 5th refusing connections, then it comes back (SQLite)`,
      healthy_baseline: base,
      healthy_with_dead_app: dead,
      ratio_p50: round2(dead.p50_ms / base.p50_ms),
      ratio_p99: round2(dead.p99_ms / base.p99_ms),
      target_ratio: 1.2,
      dead_app: {
        deliveries: backlog,
        failed_attempts_while_dead: attemptsWhileDead,
        attempts_per_s: round2(attemptsWhileDead / deadPhase_s),
        circuit_opened: circuits.opened,
        circuit_closed: circuits.closed,
      },
      drain: {
        backlog,
        first_delivered_after_back_s: round2((firstBack - backAt) / 1000),
        all_delivered_after_back_s: round2((drainedAt - backAt) / 1000),
        rate_per_s: Math.round(backlog / ((drainedAt - firstBack) / 1000)),
        new_logouts_during: newLogouts,
        healthy_during_drain: during,
        ratio_p99_during_drain: round2(during.p99_ms / base.p99_ms),
        revived_app_baseline: percentiles(of('baseline').map((d) => d.latency_ms)),
        revived_app_new_logouts: percentiles(of('back').map((d) => d.latency_ms)),
      },
    };
  } finally {
    await idp.close();
    receiver.stop();
    fifth?.stop();
  }
}

/** Ends the sessions `rate_per_s` a second, on schedule (not waiting for one to finish before the next). */
async function endAtRate(adieu: AdieuServer, uids: string[], rate_per_s: number, started: (logoutId: string, at: number) => void) {
  const t0 = performance.now();
  const ending: Promise<void>[] = [];
  for (let i = 0; i < uids.length; i++) {
    const wait = t0 + (i * 1000) / rate_per_s - performance.now();
    if (wait > 1) await sleep(wait);
    const at = performance.now();
    ending.push(adieu.ender.end(uids[i]!, 'admin').then((e) => { if (e?.logout) started(e.logout.record.id, at); }));
  }
  await Promise.all(ending);
}
