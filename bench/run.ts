// npm run bench: every benchmark reports ratios against a baseline measured in the same run.
import { createTestDatabase } from '../test/helpers/pg.ts';
import { benchFanout, benchLargeLogouts } from './fanout.ts';
import { benchSilentLogin } from './silent-login.ts';

const only = process.argv[2];
const results: unknown[] = [];
if (!only || only === 'logout') {
  results.push(await benchFanout({ serviceMs: 0 }));
  results.push(await benchFanout({ serviceMs: 10 }));
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
for (const r of results) console.log(JSON.stringify(r));
