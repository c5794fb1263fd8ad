import * as client from 'openid-client';
import { startIdp, testClient } from '../harness/idp.ts';
import { discover, signIn } from '../harness/rp.ts';
import { UserAgent } from '../harness/user-agent.ts';

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

/**
 * Silent-login round trips per second: /authorize with a live SSO session (no prompt) plus the
 * code exchange at /oauth/token by openid-client, against a baseline of bare GET /health round
 * trips on the same server and HTTP client in the same run.
 */
export async function benchSilentLogin({ seconds = 5, concurrency = 8, storage }: { seconds?: number; concurrency?: number; storage?: unknown } = {}) {
  const idp = await startIdp(storage ? { storage } : {});
  try {
    const app = testClient('app1');
    const ua = new UserAgent();
    await signIn(ua, idp.issuer, app);
    const config = await discover(idp.issuer, app);
    const redirect = app.redirect_uris[0]!;

    const silentLogin = async () => {
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
    const health = async () => {
      const res = await ua.fetch(`${idp.issuer}/health`);
      await res.arrayBuffer();
    };

    await rate(1, concurrency, silentLogin); // warm-up
    await rate(1, concurrency, health);
    const baseline = await rate(seconds, concurrency, health);
    const logins = await rate(seconds, concurrency, silentLogin);
    return {
      name: 'silent login (authorize with live session + token exchange)',
      storage: idp.adieu.storage.kind,
      concurrency,
      silent_logins_per_s: Math.round(logins),
      baseline_health_requests_per_s: Math.round(baseline),
      ratio_vs_baseline: +(logins / baseline).toFixed(3),
    };
  } finally {
    await idp.close();
  }
}
