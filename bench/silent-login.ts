import { spawn } from 'node:child_process';
import * as client from 'openid-client';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, PASSWORD, testClient } from '../harness/idp.ts';
import { discover, signIn, type RpClient } from '../harness/rp.ts';
import { UserAgent, type FollowResult } from '../harness/user-agent.ts';

/** Operations per second: `concurrency` loops doing `op` for `seconds`. */
export async function rate(seconds: number, concurrency: number, op: () => Promise<void>) {
  const end = performance.now() + seconds * 1000;
  let count = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      await op();
      count++;
    }
  }));
  return count / seconds;
}

/** Sign-in through oidc-provider's development interactions: any login name, then consent. */
async function devInteractionsLogin(ua: UserAgent, page: FollowResult, callback: string): Promise<FollowResult> {
  const atCallback = (u: URL) => u.href.startsWith(callback);
  const consent = await ua.submitForm(page, { login: 'mary' }, undefined, atCallback);
  return atCallback(new URL(consent.url)) ? consent : ua.submitForm(consent, {}, undefined, atCallback);
}

/** One silent sign-in, as an application does it: /authorize with the live session, then the code exchange. */
export async function silentLoginLoop(ua: UserAgent, issuer: string, app: RpClient) {
  const config = await discover(issuer, app);
  const redirect = app.redirect_uris[0]!;
  return async () => {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirect, scope: 'openid', state,
      code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    const res = await ua.fetch(url);
    await res.arrayBuffer();
    const location = res.headers.get('location');
    if (res.status !== 303 || !location?.startsWith(redirect)) throw new Error(`not silent: ${res.status} ${location}`);
    await client.authorizationCodeGrant(config, new URL(location), { pkceCodeVerifier: verifier, expectedState: state });
  };
}

/** A server in its own process, until `stop`: ready once GET `ready` answers 200. */
async function startProcess(args: string[], issuer: string, ready: string) {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code})`))));
  const up = (async () => {
    for (;;) {
      if (await fetch(`${issuer}${ready}`).then((r) => r.ok, () => false)) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  await Promise.race([up, exited]);
  return { issuer, pid: child.pid!, stop: () => { child.removeAllListeners('exit'); child.kill(); } };
}

/** A bare oidc-provider in its own process (bench/bare-provider.mjs). */
async function startBareProvider() {
  const port = await freePort();
  return startProcess([new URL('./bare-provider.mjs', import.meta.url).pathname, String(port)], `http://localhost:${port}`, '/.well-known/openid-configuration');
}

/** Adieu in its own process (`adieu serve`), as it runs in production, with a config written for it. */
export async function startAdieuProcess(config: Record<string, unknown>, dir = mkdtempSync(join(tmpdir(), 'adieu-bench-'))) {
  const port = (config.port as number | undefined) ?? await freePort();
  const file = join(dir, 'adieu.json');
  writeFileSync(file, JSON.stringify({ issuer: `http://localhost:${port}`, port, storage: { kind: 'sqlite', path: join(dir, 'adieu.db') }, log_level: 'silent', ...config }));
  // ADIEU_BENCH_NODE_ARGS: flags for the server's node (e.g. --cpu-prof), for finding where its time goes
  const nodeArgs = process.env.ADIEU_BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const server = await startProcess([...nodeArgs, new URL('../bin/adieu.js', import.meta.url).pathname, 'serve', '--config', file], `http://localhost:${port}`, '/health');
  return { ...server, stop: () => { server.stop(); rmSync(dir, { recursive: true, force: true }); } };
}

/**
 * Silent sign-ins per second — /authorize with a live SSO session (no prompt) plus the code
 * exchange at /oauth/token by openid-client, ES256 ID tokens — against two baselines in the same
 * run, driven by the same client code: a bare oidc-provider (same version, in-memory adapter, its
 * own process) doing the same flow, and bare GET /health round trips on Adieu.
 */
export async function benchSilentLogin({ seconds = 5, concurrency = 8, storage }: { seconds?: number; concurrency?: number; storage?: unknown } = {}) {
  // the bare provider's registration: ES256 ID tokens, code only (neither issues a refresh token)
  const app = testClient('app1', { id_token_signed_response_alg: 'ES256', grant_types: ['authorization_code'] });
  // both servers black boxes in processes of their own; this process is the clients
  const bare = await startBareProvider();
  const idp = await startAdieuProcess({
    ...(storage ? { storage } : {}), clients: [app],
    users: [{ username: 'mary@fabrikamcorp.com', password: PASSWORD }],
  });
  try {
    const ua = new UserAgent();
    await signIn(ua, idp.issuer, app);
    const adieuLogin = await silentLoginLoop(ua, idp.issuer, app);
    const bareUa = new UserAgent();
    await signIn(bareUa, bare.issuer, app, { onLoginPage: (page) => devInteractionsLogin(bareUa, page, app.redirect_uris[0]!) });
    const bareLogin = await silentLoginLoop(bareUa, bare.issuer, app);
    const health = async () => {
      const res = await ua.fetch(`${idp.issuer}/health`);
      await res.arrayBuffer();
    };

    for (const op of [adieuLogin, bareLogin, health]) await rate(1, concurrency, op); // warm-up
    const baseline = await rate(seconds, concurrency, health);
    const bareLogins = await rate(seconds, concurrency, bareLogin);
    const logins = await rate(seconds, concurrency, adieuLogin);
    return {
      name: 'silent login (authorize with live session + token exchange, ES256) vs a bare in-memory oidc-provider',
      storage: (storage as { kind?: string } | undefined)?.kind ?? 'sqlite',
      concurrency,
      silent_logins_per_s: Math.round(logins),
      bare_oidc_provider_logins_per_s: Math.round(bareLogins),
      ratio_vs_bare_oidc_provider: +(logins / bareLogins).toFixed(3),
      target_ratio_vs_bare_oidc_provider: 1,
      baseline_health_requests_per_s: Math.round(baseline),
      ratio_vs_baseline: +(logins / baseline).toFixed(3),
    };
  } finally {
    idp.stop();
    bare.stop();
  }
}
