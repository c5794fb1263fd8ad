import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort, PASSWORD, startIdp, startUpstream, testClient, type TestIdp } from '../harness/idp.ts';
import { signIn } from '../harness/rp.ts';
import { UserAgent } from '../harness/user-agent.ts';

const MARY = 'mary@fabrikamcorp.com';

describe('federated users are matched on (connection, upstream sub)', () => {
  let upstream: TestIdp;
  let idp: TestIdp;
  before(async () => {
    const port = await freePort();
    // eve sets her email to Mary's; the upstream does not verify it
    const started = await startUpstream(port, ['FabrikamAD', 'FabrikamLinked'], {
      users: [{ username: MARY, email: MARY, password: PASSWORD }, { username: 'eve', email: MARY, password: PASSWORD }],
    });
    upstream = started.upstream;
    idp = await startIdp({
      port,
      // Mary also has a password account here, with her address
      connections: [
        { type: 'database', name: 'Username-Password-Authentication' },
        started.connection('FabrikamAD'),
        started.connection('FabrikamLinked', { link_verified_email: true }),
      ],
    });
  });
  after(async () => {
    await idp.close();
    await upstream.close();
  });

  const signInVia = async (connection: string, username: string) => {
    const { claims } = await signIn(new UserAgent(), idp.issuer, testClient('app1'), { username, extra: { connection } });
    return claims.sub as string;
  };
  const databaseMary = async () => (await idp.adieu.storage.findUser('Username-Password-Authentication', MARY))!.id;

  it('an upstream account that asserts another person\'s email gets its own user, never theirs', async () => {
    const mary = await signInVia('FabrikamAD', MARY);
    const eve = await signInVia('FabrikamAD', 'eve');
    assert.notEqual(eve, mary);
    assert.notEqual(eve, await databaseMary());
    assert.notEqual(mary, await databaseMary(), 'no linking unless the connection allows it');
    assert.equal(await signInVia('FabrikamAD', MARY), mary, 'the same upstream sub is the same user');
    assert.equal(await signInVia('FabrikamAD', 'eve'), eve);
    const eveUser = (await idp.adieu.storage.getUser(eve))!;
    assert.equal(eveUser.email, MARY, 'the asserted address is kept as data');
    assert.equal(eveUser.profile.email_verified, false);
  });

  it('email links to an existing account only when the upstream says email_verified and the connection allows it', async () => {
    const eve = await signInVia('FabrikamLinked', 'eve');
    assert.notEqual(eve, await databaseMary(), 'an unverified address links nothing');

    const upstreamMary = (await upstream.adieu.storage.findUser('Username-Password-Authentication', MARY))!;
    await upstream.adieu.storage.updateUser(upstreamMary.id, { profile: { ...upstreamMary.profile, email_verified: true } });
    assert.equal(await signInVia('FabrikamLinked', MARY), await databaseMary(), 'verified and allowed: linked');
    assert.equal(await signInVia('FabrikamLinked', MARY), await databaseMary(), 'and found by its identity from then on');
  });
});
