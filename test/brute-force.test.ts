import assert from 'node:assert/strict';
import { after, before, describe, it, mock } from 'node:test';
import { PASSWORD, startIdp, testClient, type TestIdp } from '../harness/idp.ts';
import { createTestDatabase } from '../harness/pg.ts';
import { UserAgent, type FollowResult } from '../harness/user-agent.ts';

const MARY = 'mary@fabrikamcorp.com';
// small numbers so a test can reach them: 2 free failures, locked out from the 4th
const THROTTLE = { initial_delay_ms: 0, lockout_ms: 600_000, account: { free_failures: 2, lockout_failures: 4 }, address: { free_failures: 5, lockout_failures: 8 } };

const app1 = testClient('app1');

/** A fresh browser at the login page of a sign-in to app1. */
async function loginPage(issuer: string): Promise<{ ua: UserAgent; page: FollowResult }> {
  const ua = new UserAgent();
  const u = new URL(`${issuer}/authorize`);
  const params = { client_id: 'app1', response_type: 'code', scope: 'openid', redirect_uri: app1.redirect_uris[0]!, code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' };
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  const page = await ua.follow(u);
  assert.match(page.body, /type="password"/);
  return { ua, page };
}

/** Submits a password; the page answered, or the redirect to the application when it worked. */
async function attempt(issuer: string, username: string, password: string) {
  const { ua, page } = await loginPage(issuer);
  const res = await ua.submitForm(page, { username, password }, /\/login$/, (u) => u.href.startsWith(app1.redirect_uris[0]!));
  return { status: res.url.startsWith(app1.redirect_uris[0]!) ? 'signed in' : res.response.status, body: res.body };
}

const message = (body: string) => /role="alert"[^>]*>([^<]*)</.exec(body)?.[1];

describe('password guessing is throttled per account and per address', () => {
  let idp: TestIdp;
  // the address limit out of reach: these tests are about the account
  before(async () => { idp = await startIdp({ login_throttle: { ...THROTTLE, address: { free_failures: 100, lockout_failures: 1000 } } }); });
  after(() => idp.close());

  it('after the lockout count, even the right password is refused until the lockout ends; then it works', async () => {
    for (let i = 1; i <= 4; i++) assert.equal((await attempt(idp.issuer, MARY, `wrong-${i}`)).status, 401);
    const refused = await attempt(idp.issuer, MARY, PASSWORD);
    assert.equal(refused.status, 429);
    assert.match(message(refused.body)!, /Too many failed sign-ins\. Try again in 10 minutes/);
    mock.timers.enable({ apis: ['Date'], now: Date.now() + 601_000 });
    try {
      assert.equal((await attempt(idp.issuer, MARY, PASSWORD)).status, 'signed in');
      assert.equal((await attempt(idp.issuer, MARY, 'wrong-again')).status, 401, 'a success clears the count');
      assert.equal((await attempt(idp.issuer, MARY, PASSWORD)).status, 'signed in');
    } finally {
      mock.timers.reset();
    }
    const metrics = await (await fetch(`${idp.issuer}/metrics`, { headers: { authorization: 'Bearer test-metrics-token-0123456789' } })).text();
    assert.match(metrics, /adieu_login_throttled_total\{scope="account"\} 1/);
    assert.match(metrics, /adieu_login_failures_total\{connection="Username-Password-Authentication"\} 5/);
  });

  it('an unknown name gets the same answers as a known one (no enumeration)', async () => {
    const known: unknown[] = [];
    const unknown: unknown[] = [];
    for (let i = 1; i <= 5; i++) {
      known.push((await attempt(idp.issuer, 'Mary@FabrikamCorp.com', `nope-${i}`)).status);
      const r = await attempt(idp.issuer, 'nobody@fabrikamcorp.com', `nope-${i}`);
      unknown.push(r.status);
      if (i === 5) assert.match(message(r.body)!, /Too many failed sign-ins/);
    }
    assert.deepEqual(unknown, known);
    assert.deepEqual(known, [401, 401, 401, 401, 429]);
  });
});

describe('password spraying from one address', () => {
  it('many names from one address lock the address, also for a right password', async () => {
    const idp = await startIdp({ login_throttle: THROTTLE });
    try {
      for (let i = 1; i <= 8; i++) assert.equal((await attempt(idp.issuer, `user${i}@fabrikamcorp.com`, 'Winter2026!')).status, 401);
      const refused = await attempt(idp.issuer, MARY, PASSWORD);
      assert.equal(refused.status, 429);
      assert.doesNotMatch(message(refused.body)!, /administrator/, 'the address, not the account, is throttled');
    } finally {
      await idp.close();
    }
  });
});

describe('the throttle holds across nodes (PostgreSQL)', () => {
  it('failures on one node refuse the account on another', async () => {
    const db = await createTestDatabase();
    const storage = { kind: 'postgres', url: db.url };
    const a = await startIdp({ storage, login_throttle: THROTTLE });
    const b = await startIdp({ storage, login_throttle: THROTTLE });
    try {
      await Promise.all([1, 2, 3, 4].map((i) => attempt(a.issuer, MARY, `wrong-${i}`)));
      assert.equal((await attempt(b.issuer, MARY, PASSWORD)).status, 429);
      const [row] = await b.adieu.storage.getLoginFailures([`account:Username-Password-Authentication:${MARY}`]);
      assert.equal(row!.failures, 4, 'parallel failures all counted');
    } finally {
      await a.close();
      await b.close();
      await db.drop();
    }
  });
});
