// npm run bench: every benchmark reports ratios against a baseline measured in the same run.
import { createTestDatabase } from '../harness/pg.ts';
import { benchConsole } from './console.ts';
import { benchDeadApp } from './dead-app.ts';
import { benchFanout, benchLargeLogouts } from './fanout.ts';
import { benchSamlSso, benchSoapFanout } from './saml.ts';
import { benchScale } from './scale.ts';
import { benchExpiry } from './expiry.ts';
import { benchSilentLogin } from './silent-login.ts';
import { benchTenants } from './tenants.ts';

const only = process.argv[2];
// each result is printed as it completes: a long run that fails late keeps what it measured
const results = { push: (...measured: unknown[]) => { for (const r of measured) console.log(JSON.stringify(r)); } };
/** Runs a benchmark on the embedded SQLite, then on a fresh PostgreSQL database. */
async function onEachBackend(bench: (options: { storage?: { kind: 'postgres'; url: string } }) => Promise<unknown>) {
  results.push(await bench({}));
  const pg = await createTestDatabase();
  try {
    results.push(await bench({ storage: { kind: 'postgres', url: pg.url } }));
  } finally {
    await pg.drop();
  }
}

if (!only || only === 'logout') {
  // apps answering at once (the hardest case for the ratio), then apps that take real time:
  // where "10x faster than one after another" becomes possible at all
  for (const serviceMs of [0, 1, 2, 10]) results.push(await benchFanout({ serviceMs, rounds: serviceMs >= 10 ? 15 : 41 }));
  // the default for a client that registers no algorithm: RS256 logout tokens, as its ID tokens
  results.push(await benchFanout({ serviceMs: 0, rounds: 41, alg: 'RS256' }));
  results.push(...await benchLargeLogouts());
}
if (!only || only === 'login') {
  await onEachBackend(benchSilentLogin);
}
if (!only || only === 'scale') {
  for (const backend of ['sqlite', 'postgres'] as const) results.push(await benchScale({ backend }));
}
if (only === 'scale-quick') results.push(await benchScale({ backend: 'sqlite', volumes: [1_000, 20_000] }));
if (!only || only === 'expiry') {
  for (const backend of ['sqlite', 'postgres'] as const) results.push(await benchExpiry({ backend }));
}
if (only === 'expiry-quick') results.push(await benchExpiry({ backend: 'sqlite', sessions: 10_000 }));
if (!only || only === 'tenants') {
  for (const backend of ['sqlite', 'postgres'] as const) results.push(await benchTenants({ backend }));
}
if (only === 'tenants-quick') results.push(await benchTenants({ backend: 'sqlite', sizes: [100, 1_000], bigSession: 50 }));
if (!only || only === 'dead-app') results.push(await benchDeadApp());
if (only === 'dead-app-quick') results.push(await benchDeadApp({ logouts: 2_000 }));
if (!only || only === 'saml') {
  results.push(await benchSoapFanout());
  results.push(await benchSamlSso());
}
if (!only || only === 'console') {
  await onEachBackend(benchConsole);
}
