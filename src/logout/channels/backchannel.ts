import { lookup, type LookupAddress } from 'node:dns';
import { rootCertificates } from 'node:tls';
import type { LookupFunction } from 'node:net';
import { Agent } from 'undici';
import type { Delivery } from '../../storage/types.ts';
import { sanitizedExcerpt } from '../excerpt.ts';
import type { HostPolicy } from '../host-policy.ts';
import type { LogoutTokenSigner } from '../logout-token.ts';
import { AttemptTimeout, postForm } from '../post-form.ts';
import { registeredTarget, type AttemptResult, type ServerChannel } from './channel.ts';

const ERROR_BODY_LIMIT = 300;
const HOST_REFUSED = 'ADIEU_HOST_REFUSED';

/** A dns.lookup for net.connect that refuses addresses the host policy denies. */
function policyLookup(policy: HostPolicy): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as LookupAddress[];
      for (const a of list) {
        const refused = policy.checkAddress(hostname, a.address);
        if (refused) return callback(Object.assign(new Error(refused), { code: HOST_REFUSED }), '', 0);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
}

const backchannelTarget = registeredTarget('backchannel_logout_uri', 'backchannel_logout_session_required');

/**
 * Keep-alive connections for a server channel, to addresses the host policy allows, trusting the
 * public CAs and `extraCa` (logout.backchannel.ca_file).
 */
export function policyAgent(policy: HostPolicy, timeout_ms: number, extraCa?: string): Agent {
  return new Agent({
    keepAliveTimeout: 30_000,
    // the host policy decides on the address a name resolves to, when connecting (IP literals
    // never reach a lookup: the worker's checkUrl decides on them before every attempt)
    connect: { timeout: timeout_ms, lookup: policyLookup(policy), ...(extraCa ? { ca: [...rootCertificates, extraCa] } : {}) },
    headersTimeout: timeout_ms,
    bodyTimeout: timeout_ms,
  });
}

/** What an answer other than 200/204 means: 400 is a refusal for good (retrying would not help), 5xx and 429 are retried. */
export function httpFailure(status: number, text: string): AttemptResult {
  const excerpt = text && sanitizedExcerpt(text);
  return { ok: false, permanent: status === 400, answered: status < 500 && status !== 429, error: `HTTP ${status}${excerpt ? `: ${excerpt}` : ''}` };
}

/** What a request that got no answer means: refused by the host policy (for good), timed out, or a transport error (retried). */
export function transportFailure(err: unknown, timeout_ms: number): AttemptResult {
  const e = err as Error & { code?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code;
  if (code === HOST_REFUSED) return { ok: false, permanent: true, answered: true, error: `not sent: ${e.cause?.code === HOST_REFUSED ? (e.cause as Error).message : e.message}` };
  const error = err instanceof AttemptTimeout || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT'
    ? `timed out after ${timeout_ms} ms`
    : `${code ?? e.name}: ${e.message}`;
  return { ok: false, permanent: false, answered: false, error };
}

/**
 * OpenID Connect Back-Channel Logout 1.0: a logout token POSTed to `backchannel_logout_uri`, over
 * keep-alive connections, each attempt bounded as a whole (connect, headers and body).
 */
export function backchannel({ sign, policy, timeout_ms, ca }: { sign: LogoutTokenSigner; policy: HostPolicy; timeout_ms: number; ca?: string }): ServerChannel {
  const agent = policyAgent(policy, timeout_ms, ca);

  return {
    name: 'backchannel',
    label: 'back-channel',
    kind: 'server',
    target: (m) => {
      const where = backchannelTarget(m);
      // the token is signed as the client's ID tokens are (its registered algorithm, when it has one)
      return where && m.id_token_signed_response_alg ? { ...where, channel_params: { signing_alg: m.id_token_signed_response_alg } } : where;
    },
    prepare(d: Delivery) {
      const token = sign(d);
      token.catch(() => {}); // awaited, and its failure recorded, by the attempt
      return token;
    },
    async attempt(d: Delivery, prepared?: Promise<string>): Promise<AttemptResult> {
      let token: string;
      try {
        token = await (prepared ?? sign(d)); // a fresh token (new jti) for every attempt
      } catch (err) {
        return { ok: false, permanent: false, answered: true, error: `signing the logout token failed: ${(err as Error).message}` };
      }
      try {
        // a JWS is base64url and dots: nothing to encode
        const { status, text } = await postForm(agent, d.target!, `logout_token=${token}`, ERROR_BODY_LIMIT, timeout_ms);
        if (status === 200 || status === 204) return { ok: true, permanent: false, answered: true, error: null };
        // §2.8: 400 means the RP refused this token
        return httpFailure(status, text);
      } catch (err) {
        return transportFailure(err, timeout_ms);
      }
    },
    close: () => agent.close(),
  };
}
