import * as client from 'openid-client';
import { startIdp, testClient } from '../harness/idp.ts';
import { discover, signIn } from '../harness/rp.ts';
import { nodeSamlSp, postedFields, samlSignIn } from '../harness/saml-sp.ts';
import { UserAgent } from '../harness/user-agent.ts';
import { loadIdpCredentials } from '../src/saml/idp-credentials.ts';
import { XmlSigner } from '../src/saml/signer.ts';
import { logoutAndWait, session, startBenchIdp, startReceiver } from './fanout.ts';
import { rate } from './silent-login.ts';
import { round2 } from './stats.ts';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * A SAML SSO round trip with a live SSO session: a node-saml SP's signed AuthnRequest through
 * /samlp → /authorize → /continue to the signed Response (the SP's own work — signing requests,
 * validating responses — is done outside the timed loop, as the RP's is not Adieu's), against the
 * OIDC silent login (authorize + code exchange by openid-client) on the same IdP and session.
 */
export async function benchSamlSso({ seconds = 5, concurrency = 8 } = {}) {
  const sp = await nodeSamlSp('helpdesk');
  const idp = await startIdp({ clients: [testClient('app1'), sp.registration()] });
  try {
    const ua = new UserAgent();
    const app = testClient('app1');
    await signIn(ua, idp.issuer, app);
    const saml = await sp.saml(idp.issuer);
    await samlSignIn(ua, saml);
    const config = await discover(idp.issuer, app);
    const oidc = async () => {
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: app.redirect_uris[0]!, scope: 'openid', state,
        code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
      });
      const res = await ua.fetch(url);
      await res.arrayBuffer();
      await client.authorizationCodeGrant(config, new URL(res.headers.get('location')!), { pkceCodeVerifier: verifier, expectedState: state });
    };
    // requests are made ahead (each ID is used once); a sample of answers is validated by node-saml
    const requests: string[] = [];
    const answers: Record<string, string>[] = [];
    const samlSso = async () => {
      const page = await ua.follow(requests.pop() ?? await saml.getAuthorizeUrlAsync('', undefined, {}));
      const { fields } = postedFields(page);
      if (!fields.SAMLResponse) throw new Error('no SAMLResponse');
      if (answers.length < 20) answers.push(fields);
    };
    const prepare = async (n: number) => {
      for (let i = 0; i < n; i++) requests.push(await saml.getAuthorizeUrlAsync('', undefined, {}));
    };
    await rate(1, concurrency, oidc);
    await prepare(400);
    await rate(1, concurrency, samlSso);
    await prepare(400 * seconds);
    const oidcRate = await rate(seconds, concurrency, oidc);
    const samlRate = await rate(seconds, concurrency, samlSso);
    for (const fields of answers) if (!(await saml.validatePostResponseAsync(fields)).profile) throw new Error('a response carried no assertion');
    return {
      name: 'SAML SSO round trip with a live session (node-saml SP) vs OIDC silent login, same IdP and session',
      concurrency,
      saml_sso_per_s: Math.round(samlRate),
      oidc_silent_logins_per_s: Math.round(oidcRate),
      ratio_vs_oidc: round2(samlRate / oidcRate),
    };
  } finally {
    await idp.close();
  }
}

/**
 * One logout reaching 100 SAML SPs by SOAP (signed LogoutRequests, LogoutResponses read) against
 * one reaching 100 OIDC apps by back-channel (signed logout tokens), round by round against the
 * same receiver process. Target: SOAP ≤ 1.5x back-channel as Adieu ships it: logout tokens signed
 * RS256 (a client that registers no algorithm), so both sides make the same 100 RSA-2048
 * signatures and the ratio is what XML costs over a JWT. Also reported: against ES256 logout
 * tokens (a client registering ES256), where the RSA signatures alone are about the whole fan-out.
 */
export async function benchSoapFanout({ apps = 100, rounds = 21, warmup = 5 } = {}) {
  const receiver = await startReceiver(0);
  const soapIdp = await startBenchIdp(apps, receiver.url, 128, { saml: true });
  const rsIdp = await startBenchIdp(apps, receiver.url, 128, { alg: 'RS256' });
  const esIdp = await startBenchIdp(apps, receiver.url, 128, { alg: 'ES256' });
  const clients = Array.from({ length: apps }, (_, i) => `app${i}`);
  try {
    // the floor of signing: the same 100 RSA-2048 signatures, in parallel on the thread pool, nothing else
    const signer = new XmlSigner(await loadIdpCredentials(soapIdp.adieu.storage, soapIdp.adieu.config.issuer));
    const m = { soap: [] as number[], rs: [] as number[], es: [] as number[], rsa: [] as number[] };
    for (let round = 0; round < rounds + warmup; round++) {
      await session(soapIdp.adieu, `soap-${round}`, clients, { saml: true });
      await session(rsIdp.adieu, `rs-${round}`, clients);
      await session(esIdp.adieu, `es-${round}`, clients);
      const soap = await logoutAndWait(soapIdp.adieu, [`soap-${round}`]);
      const rs = await logoutAndWait(rsIdp.adieu, [`rs-${round}`]);
      const es = await logoutAndWait(esIdp.adieu, [`es-${round}`]);
      const t = performance.now();
      await Promise.all(clients.map((id) => signer.signBytes(`<samlp:LogoutRequest ID="${id}-${round}"/>`)));
      const rsa = performance.now() - t;
      if (round < warmup) continue;
      m.soap.push(soap.ms);
      m.rs.push(rs.ms);
      m.es.push(es.ms);
      m.rsa.push(rsa);
    }
    const [soap, rs, es, rsa] = [median(m.soap), median(m.rs), median(m.es), median(m.rsa)];
    return {
      name: `fan-out of one logout to ${apps} SAML SPs by SOAP vs ${apps} OIDC apps by back-channel (median of ${rounds}, all recorded)`,
      soap_ms: round2(soap),
      backchannel_rs256_ms: round2(rs),
      ratio_vs_backchannel_rs256: round2(soap / rs),
      target_ratio: 1.5,
      backchannel_es256_ms: round2(es),
      ratio_vs_backchannel_es256: round2(soap / es),
      rsa_2048_signatures_alone_ms: round2(rsa),
      signatures_alone_ratio_vs_es256: round2(rsa / es),
    };
  } finally {
    await soapIdp.close();
    await rsIdp.close();
    await esIdp.close();
    receiver.stop();
  }
}
