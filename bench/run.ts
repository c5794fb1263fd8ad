// npm run bench: every benchmark reports ratios against a baseline measured in the same run.
import { createTestDatabase } from '../harness/pg.ts';
import { benchFanout, benchLargeLogouts } from './fanout.ts';
import { benchSamlSso, benchSoapFanout } from './saml.ts';
import { benchSilentLogin } from './silent-login.ts';

const only = process.argv[2];
const results: unknown[] = [];
if (!only || only === 'logout') {
  // apps answering at once (the hardest case for the ratio), then apps that take real time:
  // where "10x faster than one after another" becomes possible at all
  for (const serviceMs of [0, 1, 2, 10]) results.push(await benchFanout({ serviceMs, rounds: serviceMs >= 10 ? 15 : 41 }));
  // the default for a client that registers no algorithm: RS256 logout tokens, as its ID tokens
  results.push(await benchFanout({ serviceMs: 0, rounds: 41, alg: 'RS256' }));
  results.push(...await benchLargeLogouts());
}
if (!only || only === 'login') {
  results.push(await benchSilentLogin());
  const pg = await createTestDatabase();
  try {
    results.push(await benchSilentLogin({ storage: { kind: 'postgres', url: pg.url } }));
  } finally {
    await pg.drop();
  }
}
if (!only || only === 'saml') {
  results.push(await benchSoapFanout());
  results.push(await benchSamlSso());
}
for (const r of results) console.log(JSON.stringify(r));
