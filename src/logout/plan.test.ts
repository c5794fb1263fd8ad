import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { ClientMetadata } from '../clients/metadata.ts';
import type { EndedSessionData, Json } from '../storage/types.ts';
import type { SamlIdp } from '../saml/idp.ts';
import { createChannels } from './channels/index.ts';
import { hostPolicy } from './host-policy.ts';
import { planLogout, type PlanOptions } from './plan.ts';

// planning reads registrations only: the SAML IdP's key is not needed here
const channels = createChannels({ sign: async () => 'token', policy: hostPolicy([], []), timeout_ms: 1_000, saml: {} as SamlIdp, frontchannel_timeout_ms: 5_000 });
after(() => channels.close());

const NAME_ID = { value: 'mary@fabrikamcorp.com', format: 'email' } as const;

function ended(apps: Record<string, Json | undefined>, nameIds: Record<string, typeof NAME_ID> = {}): EndedSessionData {
  const t = 1_700_000_000;
  return {
    record: {
      uid: 'u1', account_id: 'acct', username: 'mary', connection: { name: 'db', strategy: 'auth0' },
      clients: Object.keys(apps).map((client_id, i) => ({ client_id, sid: `sid-${i}`, first_at: t, last_at: t, ...(nameIds[client_id] ? { name_id: nameIds[client_id] } : {}) })),
      last_used_client_id: null, upstream: null, created_at: t, updated_at: t, expires_at: t + 60,
    },
    session: undefined,
    revokedGrantIds: [],
    clientMetadata: new Map(Object.entries(apps).filter((e): e is [string, Json] => !!e[1]).map(([id, m]) => [id, { client_id: id, redirect_uris: ['http://localhost:9/cb'], ...m } as ClientMetadata])),
  };
}

const options = (extra: Partial<PlanOptions> = {}): PlanOptions => ({
  logoutId: 'L1', trigger: 'user_logout', uid: 'u1', browser: true, returnTo: null, now: 1_000,
  channels: channels.all, serverDeadlineMs: 86_400_000, browserDeadlineMs: 65_000,
  checkHost: (t) => (t.includes('denied') ? 'denied by denied_hosts' : undefined), ...extra,
});

const summary = (plan: ReturnType<typeof planLogout>) => plan.deliveries.map((d) => [d.client_id, d.channel, d.status]);

describe('planLogout', () => {
  it('plans one delivery per application and channel, in sign-in order, back-channel first', () => {
    const plan = planLogout(ended({
      both: { backchannel_logout_uri: 'http://a/bcl', frontchannel_logout_uri: 'http://a/fcl', logout_url: 'http://a/logout' },
      front: { frontchannel_logout_uri: 'http://b/fcl', frontchannel_logout_session_required: true },
    }), options());
    assert.deepEqual(summary(plan), [
      ['both', 'backchannel', 'pending'],
      ['both', 'frontchannel', 'awaiting_browser'],
      ['front', 'frontchannel', 'awaiting_browser'],
    ]);
    assert.deepEqual(plan.deliveries.map((d) => d.position), [0, 1, 2]);
    assert.equal(plan.deliveries[0]!.deadline_at, 1_000 + 86_400_000);
    assert.equal(plan.deliveries[1]!.deadline_at, 1_000 + 65_000);
    assert.equal(plan.deliveries[2]!.include_sid, true);
    assert.equal(plan.deliveries[2]!.sid, 'sid-1');
    assert.equal(plan.record.status, 'in_progress');
    assert.ok(plan.record.page_token.length >= 32);
  });

  it('uses a legacy logout URL only for an application no standard channel reaches', () => {
    const plan = planLogout(ended({ legacy: { logout_url: 'http://c/logout' }, back: { backchannel_logout_uri: 'http://d/bcl', logout_url: 'http://d/logout' } }), options());
    assert.deepEqual(summary(plan), [['legacy', 'legacy_get', 'awaiting_browser'], ['back', 'backchannel', 'pending']]);
  });

  it('records what cannot be attempted: no browser, no logout URL, a deleted client, a refused host', () => {
    const plan = planLogout(ended({
      front: { frontchannel_logout_uri: 'http://b/fcl' },
      nothing: { client_name: 'Nothing' },
      gone: undefined,
      denied: { backchannel_logout_uri: 'http://denied.test/bcl' },
    }), options({ browser: false, trigger: 'admin' }));
    assert.deepEqual(summary(plan), [
      ['front', 'frontchannel', 'skipped'],
      ['nothing', 'none', 'no_channel'],
      ['gone', 'none', 'no_channel'],
      ['denied', 'backchannel', 'rejected'],
    ]);
    assert.match(plan.deliveries[0]!.last_error!, /no browser .*\(admin\)/);
    assert.match(plan.deliveries[1]!.last_error!, /registered no logout URL/);
    assert.match(plan.deliveries[2]!.last_error!, /no longer exists/);
    assert.equal(plan.deliveries[3]!.last_error, 'denied by denied_hosts');
    assert.ok(plan.deliveries.every((d) => d.completed_at === 1_000));
  });

  const sp = (services: { binding: string; location: string }[]) => ({
    saml: { entity_id: 'https://sp/metadata', assertion_consumer_services: [{ binding: 'HTTP-POST', location: 'https://sp/acs' }], single_logout_services: services },
  });

  it('reaches a SAML SP by SOAP when it has a SOAP service, else in the browser, with the NameID its sign-in was given', () => {
    const plan = planLogout(ended({
      soap: sp([{ binding: 'HTTP-Redirect', location: 'http://soap/slo' }, { binding: 'SOAP', location: 'http://soap/soap' }]),
      redirect: sp([{ binding: 'HTTP-Redirect', location: 'http://redirect/slo' }]),
    }, { soap: NAME_ID, redirect: NAME_ID }), options());
    assert.deepEqual(summary(plan), [['soap', 'saml_soap', 'pending'], ['redirect', 'saml_redirect', 'awaiting_browser']]);
    assert.deepEqual(plan.deliveries.map((d) => [d.target, d.channel_params?.name_id, d.sid]), [['http://soap/soap', NAME_ID, 'sid-0'], ['http://redirect/slo', NAME_ID, 'sid-1']]);
  });

  it('a SAML SP whose sign-in never completed (no NameID recorded) gets no logout request', () => {
    const plan = planLogout(ended({ soap: sp([{ binding: 'SOAP', location: 'http://soap/soap' }]) }), options());
    assert.deepEqual(summary(plan), [['soap', 'none', 'no_channel']]);
  });

  it('the application that asked for the logout is recorded as signed out and sent nothing', () => {
    const plan = planLogout(ended({
      asker: sp([{ binding: 'SOAP', location: 'http://asker/soap' }]),
      other: { backchannel_logout_uri: 'http://o/bcl' },
    }, { asker: NAME_ID }), options({ initiator: 'asker' }));
    assert.deepEqual(summary(plan), [['asker', 'initiator', 'confirmed'], ['other', 'backchannel', 'pending']]);
  });

  it("a back-channel delivery carries the algorithm the client's ID tokens use, when it registered one", () => {
    const plan = planLogout(ended({
      es: { backchannel_logout_uri: 'http://es/bcl', id_token_signed_response_alg: 'ES256' },
      plain: { backchannel_logout_uri: 'http://plain/bcl' },
    }), options());
    assert.deepEqual(plan.deliveries.map((d) => [d.client_id, d.channel_params]), [['es', { signing_alg: 'ES256' }], ['plain', null]]);
  });
});
