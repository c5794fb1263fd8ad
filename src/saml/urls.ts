/** Where Adieu's SAML endpoints are (Auth0's paths, so an Auth0 SAML app moves by changing the domain). */
export function samlUrls(issuer: string, clientId: string) {
  const base = `${issuer}/samlp/${encodeURIComponent(clientId)}`;
  return { metadata: `${issuer}/samlp/metadata/${encodeURIComponent(clientId)}`, sso: base, slo: `${base}/logout`, continue: `${base}/continue` };
}
