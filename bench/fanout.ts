import { fork } from 'node:child_process';
import diagnostics from 'node:diagnostics_channel';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Agent, request } from 'undici';
import { freePort } from '../harness/idp.ts';
import { parseConfig } from '../src/config/load.ts';
import { logoutTokenSigner } from '../src/logout/logout-token.ts';
import { DEFAULT_SIGNING_ALG } from '../src/provider/keys.ts';
import { postForm } from '../src/logout/post-form.ts';
import { startAdieu, type AdieuServer } from '../src/server.ts';
import type { SsoSessionRecord } from '../src/storage/types.ts';
import { startFloorPipeline } from './floor.ts';
import { round2 } from './stats.ts';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]!; };

export async function startReceiver(serviceMs = 0, onPort = 0) {
  const child = fork(new URL('./receiver.mjs', import.meta.url), [String(serviceMs), String(onPort)], { stdio: 'ignore' });
  const [{ port }] = await once(child, 'message') as [{ port: number }];
  return { child, url: (id: string) => `http://127.0.0.1:${port}/bcl/${id}`, stop: () => child.kill() };
}

/** An SSO session signed in to `clients` (written directly: sign-in is not what is measured); SAML SPs get a NameID. */
export async function session(adieu: AdieuServer, uid: string, clients: string[], options: { saml?: boolean } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const record: SsoSessionRecord = {
    uid, account_id: 'bench-user', username: 'mary@fabrikamcorp.com', connection: { name: 'Username-Password-Authentication', strategy: 'auth0' },
    clients: clients.map((client_id, i) => ({
      client_id, sid: `${uid}-sid-${i}`, first_at: now, last_at: now,
      ...(options.saml ? { name_id: { value: 'mary@fabrikamcorp.com', format: 'email' as const } } : {}),
    })),
    last_used_client_id: clients.at(-1)!, upstream: null, created_at: now, updated_at: now, expires_at: now + 3600,
  };
  await adieu.storage.saveSsoSession(record);
}

/** `alg`: what the back-channel apps register as id_token_signed_response_alg (their logout tokens are signed so). */
export async function startBenchIdp(apps: number, receiverUrl: (id: string) => string, concurrency: number, options: { saml?: boolean; alg?: 'ES256' | 'RS256'; backchannel?: Record<string, number> } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'adieu-bench-'));
  const port = await freePort();
  const config = parseConfig({
    issuer: `http://localhost:${port}`, port, log_level: 'silent',
    storage: { kind: 'sqlite', path: join(dir, 'adieu.db') },
    logout: { backchannel: { concurrency, poll_interval_ms: 200, ...options.backchannel } },
    clients: Array.from({ length: apps }, (_, i) => (options.saml
      ? {
        // SAML SPs reached by SOAP; unsigned answers, so the receiver's cost is not the IdP's
        client_id: `app${i}`,
        saml: {
          entity_id: `urn:bench:sp:app${i}`, want_requests_signed: false,
          assertion_consumer_services: [{ binding: 'HTTP-POST', location: `http://localhost:9/app${i}/acs` }],
          single_logout_services: [{ binding: 'SOAP', location: receiverUrl(`app${i}`).replace('/bcl/', '/soap/') }],
        },
      }
      : {
        client_id: `app${i}`, client_secret: `app${i}-secret-0123456789`, redirect_uris: [`http://localhost:9/app${i}/cb`],
        backchannel_logout_uri: receiverUrl(`app${i}`), backchannel_logout_session_required: true,
        id_token_signed_response_alg: options.alg ?? 'ES256',
      })),
  }, {});
  const adieu = await startAdieu(config, { logger: pino({ level: 'silent' }) });
  return { adieu, async close() { await adieu.close(); rmSync(dir, { recursive: true, force: true }); } };
}

/**
 * Ends sessions and resolves when all their logouts completed. Times from the call that ends
 * the sessions: `acknowledgedMs` to the last application's HTTP answer (what "all delivered"
 * means for the bare POSTs too), `ms` to every outcome recorded and the logouts completed;
 * `afterCommitMs` from the outbox commit to the last answer.
 */
export async function logoutAndWait(adieu: AdieuServer, uids: string[]) {
  const latencies: number[] = [];
  let committedAt = 0;
  let acknowledgedAt = 0;
  const onStarted = () => { committedAt ||= performance.now(); };
  const onAnswer = () => { acknowledgedAt = performance.now(); };
  adieu.events.on('logout.started', onStarted);
  diagnostics.subscribe('undici:request:headers', onAnswer);
  const onDelivered = ({ delivery }: { delivery: { latency_ms: number | null } }) => { latencies.push(delivery.latency_ms!); };
  adieu.events.on('delivery.succeeded', onDelivered);
  const pending = new Set<string>();
  let resolveAll!: () => void;
  const allDone = new Promise<void>((r) => { resolveAll = r; });
  let ended = 0;
  const onCompleted = ({ logout }: { logout: { id: string; status: string } }) => {
    if (logout.status !== 'completed') throw new Error(`logout ${logout.id} ${logout.status}`);
    pending.delete(logout.id);
    if (ended === uids.length && pending.size === 0) resolveAll();
  };
  adieu.events.on('logout.completed', onCompleted);
  const started = performance.now();
  await Promise.all(uids.map(async (uid) => {
    const e = await adieu.ender.end(uid, 'admin');
    if (e?.logout && e.logout.record.completed_at === null) pending.add(e.logout.record.id);
    ended++;
  }));
  if (pending.size === 0) resolveAll();
  await allDone;
  const ms = performance.now() - started;

  diagnostics.unsubscribe('undici:request:headers', onAnswer);
  adieu.events.off('delivery.succeeded', onDelivered);
  adieu.events.off('logout.completed', onCompleted);
  adieu.events.off('logout.started', onStarted);
  return { ms, acknowledgedMs: acknowledgedAt - started, afterCommitMs: acknowledgedAt - committedAt, latencies };
}


/**
 * Fan-out of one logout to `apps` back-channel applications on loopback, against, in the same
 * run and alternating round by round: (a) the same number of bare parallel undici POSTs of
 * pre-signed tokens (the network limit), with `request()` and with the cheaper `dispatch()`
 * that Adieu uses, (b) the same POSTs one after another, and (c) the
 * floor pipeline (bench/floor.ts: durable write + signing + POSTs, by hand). Medians; the first
 * rounds warm connections and the JIT up, as on a server that has been running.
 */
export async function benchFanout({ apps = 100, rounds = 21, warmup = 5, serviceMs = 0, alg = 'ES256' as 'ES256' | 'RS256' } = {}) {
  const receiver = await startReceiver(serviceMs);
  const idp = await startBenchIdp(apps, receiver.url, 128, { alg });
  const clients = Array.from({ length: apps }, (_, i) => `app${i}`);
  const keys = await idp.adieu.storage.listSigningKeys();
  const floor = await startFloorPipeline(keys.find((k) => k.alg === alg)!.private_jwk as any, receiver.url, clients);
  try {
    const sign = await logoutTokenSigner(idp.adieu.config.issuer, keys.map((k) => k.private_jwk as any), DEFAULT_SIGNING_ALG);
    const agent = new Agent({ keepAliveTimeout: 30_000 });
    const post = async (id: string, token: string) => {
      const res = await request(receiver.url(id), { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `logout_token=${token}` });
      await res.body.dump();
      if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
    };
    const dispatchAgent = new Agent({ keepAliveTimeout: 30_000 });
    const postByDispatch = async (id: string, token: string) => {
      const { status } = await postForm(dispatchAgent, receiver.url(id), `logout_token=${token}`, 300, 5_000);
      if (status !== 200) throw new Error(`HTTP ${status}`);
    };
    const presigned = () => Promise.all(clients.map((id, i) => sign({ client_id: id, sub: 'bench-user', sid: `s-${i}`, channel_params: { signing_alg: alg } })));

    const m = { acknowledged: [] as number[], recorded: [] as number[], afterCommit: [] as number[], floor: [] as number[], parallel: [] as number[], dispatch: [] as number[], sequential: [] as number[] };
    for (let round = 0; round < rounds + warmup; round++) {
      const uid = `fanout-${round}`;
      await session(idp.adieu, uid, clients);
      const adieu = await logoutAndWait(idp.adieu, [uid]);
      let t = performance.now();
      await floor.logout();
      const floorMs = performance.now() - t;
      const tokens = await presigned();
      t = performance.now();
      await Promise.all(clients.map((id, i) => post(id, tokens[i]!)));
      const parallel = performance.now() - t;
      t = performance.now();
      await Promise.all(clients.map((id, i) => postByDispatch(id, tokens[i]!)));
      const dispatch = performance.now() - t;
      t = performance.now();
      for (let i = 0; i < clients.length; i++) await post(clients[i]!, tokens[i]!);
      const sequential = performance.now() - t;
      if (round < warmup) continue;
      m.acknowledged.push(adieu.acknowledgedMs);
      m.recorded.push(adieu.ms);
      m.afterCommit.push(adieu.afterCommitMs);
      m.floor.push(floorMs);
      m.parallel.push(parallel);
      m.dispatch.push(dispatch);
      m.sequential.push(sequential);
    }
    await agent.close();
    await dispatchAgent.close();
    const [a, r, c, f, p, d, s] = [m.acknowledged, m.recorded, m.afterCommit, m.floor, m.parallel, m.dispatch, m.sequential].map(median) as number[] as [number, number, number, number, number, number, number];
    return {
      name: `fan-out of one logout to ${apps} back-channel apps answering in ${serviceMs} ms, ${alg} logout tokens (median of ${rounds})`,
      bare_parallel_undici_ms: round2(p),
      bare_parallel_undici_dispatch_ms: round2(d),
      one_after_another_ms: round2(s),
      adieu_all_acknowledged_ms: round2(a),
      adieu_all_recorded_ms: round2(r),
      adieu_after_commit_ms: round2(c),
      floor_pipeline_ms: round2(f),
      ratio_vs_bare_parallel: round2(a / p),
      target_ratio_vs_bare_parallel: 1.5,
      ratio_vs_bare_dispatch: round2(a / d),
      recorded_ratio_vs_bare_parallel: round2(r / p),
      after_commit_ratio_vs_bare_parallel: round2(c / p),
      floor_ratio_vs_bare_parallel: round2(f / p),
      adieu_ratio_vs_floor: round2(a / f),
      speedup_vs_one_after_another: round2(s / a),
      target_speedup: 10,
    };
  } finally {
    await floor.close();
    await idp.close();
    receiver.stop();
  }
}

/** Large logouts: one of 1,000 apps, and 100 concurrent logouts of 20 apps each. */
export async function benchLargeLogouts() {
  const results = [];
  for (const [label, apps, sessions] of [['one logout of 1000 apps', 1000, 1], ['100 concurrent logouts of 20 apps', 20, 100]] as const) {
    const receiver = await startReceiver();
    const idp = await startBenchIdp(apps, receiver.url, 128);
    try {
      const clients = Array.from({ length: apps }, (_, i) => `app${i}`);
      const uids = Array.from({ length: sessions }, (_, i) => `large-${i}`);
      for (const uid of uids) await session(idp.adieu, uid, clients);
      const { ms, latencies } = await logoutAndWait(idp.adieu, uids);
      receiver.child.send('count');
      const [{ count }] = await once(receiver.child, 'message') as [{ count: number }];
      results.push({
        name: label,
        deliveries: apps * sessions,
        delivered: latencies.length,
        received_by_apps: count,
        lost: apps * sessions - count,
        total_ms: Math.round(ms),
        latency_p50_ms: pct(latencies, 0.5),
        latency_p99_ms: pct(latencies, 0.99),
      });
    } finally {
      await idp.close();
      receiver.stop();
    }
  }
  return results;
}
