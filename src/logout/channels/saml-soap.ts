import type { SamlIdp, ServiceProvider } from '../../saml/idp.ts';
import { ShortCache } from '../../storage/short-cache.ts';
import { LogoutResponseReader } from '../../saml/logout-response-reader.ts';
import { newMessageId, signedLogoutRequests, soapEnvelope } from '../../saml/messages.ts';
import { MAX_MESSAGE_BYTES, SamlError, STATUS } from '../../saml/xml.ts';
import type { Delivery } from '../../storage/types.ts';
import type { HostPolicy } from '../host-policy.ts';
import { postForm } from '../post-form.ts';
import { httpFailure, policyAgent, transportFailure } from './backchannel.ts';
import type { AttemptResult, ServerChannel } from './channel.ts';
import { logoutOutcome, samlTarget } from './saml.ts';

/** How long an SP may take to act on a LogoutRequest (its NotOnOrAfter). */
const REQUEST_LIFETIME_S = 120;
/** How long an SP's registration is reused by attempts (a changed certificate applies after this). */
const REGISTRATION_CACHE_MS = 5_000;

/**
 * SAML 2.0 Single Logout over the SOAP binding (bindings §3.2): a signed LogoutRequest POSTed by
 * Adieu from the outbox (durable, retried, any node), and the SP's LogoutResponse read — only
 * `Success` for this very request (InResponseTo), from this SP, signed when the SP signs, is a
 * confirmed logout; any other status is recorded as the SP's refusal.
 */
export function samlSoap({ saml, policy, timeout_ms, ca }: { saml: SamlIdp; policy: HostPolicy; timeout_ms: number; ca?: string }): ServerChannel {
  const agent = policyAgent(policy, timeout_ms, ca);
  const answers = new LogoutResponseReader();
  const signedRequest = signedLogoutRequests(saml.signer);
  // a logout to many SPs reads each registration once, not once per attempt
  const registrations = new ShortCache<ServiceProvider | undefined>(REGISTRATION_CACHE_MS, (clientId) => saml.serviceProvider(clientId).catch(() => undefined));

  /**
   * A fresh request per attempt (new ID, IssueInstant, NotOnOrAfter), signed (on the thread pool),
   * as `<ID> <envelope>` (an ID has no space): what a prepared attempt hands over as one string.
   */
  async function request(d: Delivery): Promise<string> {
    const id = newMessageId();
    const message = await signedRequest({ id, issuer: saml.entityId, destination: d.target!, nameId: d.channel_params!.name_id!, sessionIndex: d.sid, now_ms: Date.now(), lifetime_s: REQUEST_LIFETIME_S });
    return `${id} ${soapEnvelope(message)}`;
  }

  return {
    name: 'saml_soap',
    label: 'SAML SOAP',
    kind: 'server',
    target: samlTarget('SOAP'),
    prepare(d: Delivery) {
      const prepared = request(d);
      prepared.catch(() => {}); // awaited, and its failure recorded, by the attempt
      return prepared;
    },
    async attempt(d: Delivery, prepared?: Promise<string>): Promise<AttemptResult> {
      const sp = await registrations.get(d.client_id);
      if (!sp) return { ok: false, permanent: true, answered: true, error: 'the application is no longer registered as a SAML SP' };
      const idAndEnvelope = await (prepared ?? request(d));
      const space = idAndEnvelope.indexOf(' ');
      const [id, envelope] = [idAndEnvelope.slice(0, space), idAndEnvelope.slice(space + 1)];
      let answer;
      try {
        answer = await postForm(agent, d.target!, envelope, 300, timeout_ms, {
          contentType: 'text/xml; charset=utf-8',
          headers: { soapaction: 'http://www.oasis-open.org/committees/security' },
          answerLimit: MAX_MESSAGE_BYTES,
        });
      } catch (err) {
        return transportFailure(err, timeout_ms);
      }
      // SOAP 1.1 §6.2: a fault comes with 500, so a 500 carrying a SOAP Fault is read, not retried blindly
      if (answer.status !== 200 && !(answer.status === 500 && answer.text.includes('Fault'))) return httpFailure(answer.status, answer.text);
      try {
        const response = await answers.read(answer.text, sp);
        if (response.issuer !== sp.sp.entity_id) throw new SamlError(`the LogoutResponse's Issuer is ${response.issuer}, not ${sp.sp.entity_id}`);
        if (response.inResponseTo !== id) throw new SamlError('the LogoutResponse answers another request (InResponseTo)');
        const { ok, error } = logoutOutcome(response);
        return { ok, permanent: !ok, answered: true, error };
      } catch (err) {
        if (!(err instanceof SamlError)) return { ok: false, permanent: false, answered: true, error: (err as Error).message };
        // a SOAP Fault from the SP's server may pass (retried); a bad answer is not fixed by asking again
        return { ok: false, permanent: err.status !== STATUS.responder, answered: true, error: `the answer was not a valid LogoutResponse: ${err.message}` };
      }
    },
    close: async () => { await Promise.all([agent.close(), answers.close()]); },
  };
}
