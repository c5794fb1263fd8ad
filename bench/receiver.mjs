// A minimal back-channel logout receiver in its own process: answers 200 to every POST and
// counts them, so the IdP under test does not share its event loop with the applications.
// argv[2]: each application's service time in ms (0 = answer at once); argv[3]: the port (default: any free one).
// POSTs to /soap/<id> are SAML SOAP LogoutRequests: answered with an (unsigned) Success
// LogoutResponse for that request, issued by urn:bench:sp:<id>.
import { createServer } from 'node:http';

const serviceMs = Number(process.argv[2] ?? 0);
let count = 0;
function soapAnswer(id, body) {
  const inResponseTo = /<samlp:LogoutRequest[^>]* ID="([^"]+)"/.exec(body)?.[1] ?? '';
  return `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r${count}" Version="2.0" IssueInstant="${new Date().toISOString()}" InResponseTo="${inResponseTo}"><saml:Issuer>urn:bench:sp:${id}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:LogoutResponse></soap:Body></soap:Envelope>`;
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    count++;
    const soap = /^\/soap\/([^/]+)/.exec(req.url ?? '');
    const answer = () => (soap
      ? res.writeHead(200, { 'content-type': 'text/xml' }).end(soapAnswer(soap[1], Buffer.concat(chunks).toString()))
      : res.writeHead(200).end());
    if (serviceMs > 0) setTimeout(answer, serviceMs);
    else answer();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[3] ?? 0), '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('message', (m) => { if (m === 'count') process.send({ count }); });
