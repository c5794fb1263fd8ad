// A browser application built on an Auth0 SDK, for the drop-in tests: one page and the SDK's
// browser bundle served over https, an Adieu over https with the app registered, and Chromium.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { launchBrowser } from './browser.ts';
import { freePort, startIdp, type TestIdp } from './idp.ts';
import { trustedLocalhostTls } from './tls.ts';

export interface BrowserAppOptions {
  /** The SDK's browser bundle, under node_modules. */
  sdk: string;
  /** localhost, or 127.0.0.1 where the app is a web client of the implicit grant (oidc-provider forbids localhost). */
  host: 'localhost' | '127.0.0.1';
  /** The page, given the domain an Auth0 SDK is configured with (Adieu's host:port); it loads /sdk.js. */
  page: (domain: string) => string;
  /** The app's registration at Adieu; redirect_uris, web_origins and allowed_logout_urls are the app's origin. */
  client: Record<string, unknown>;
}

export async function startBrowserApp(o: BrowserAppOptions) {
  const tls = await trustedLocalhostTls();
  const sdk = readFileSync(new URL(`../node_modules/${o.sdk}`, import.meta.url), 'utf8');
  const [idpPort, appPort] = [await freePort(), await freePort()];
  const app = `https://${o.host}:${appPort}`;
  const domain = `${o.host}:${idpPort}`;
  const html = o.page(domain);
  const server = createServer({ key: tls.key_pem, cert: tls.cert_pem }, (req, res) => {
    if (req.url === '/sdk.js') res.writeHead(200, { 'content-type': 'application/javascript' }).end(sdk);
    else res.writeHead(200, { 'content-type': 'text/html' }).end(html);
  }).listen(appPort, '127.0.0.1');
  await once(server, 'listening');
  let idp: TestIdp | undefined;
  let browser: Awaited<ReturnType<typeof launchBrowser>> | undefined;
  const close = async () => {
    await browser?.close();
    await idp?.close();
    server.closeAllConnections();
    server.close();
    tls.restore();
  };
  try {
    idp = await startIdp({
      port: idpPort,
      issuer: `https://${domain}/`, // Auth0's form: the SDKs expect iss to be https://DOMAIN/
      tls: tls.files,
      clients: [{ redirect_uris: [app], web_origins: [app], allowed_logout_urls: [app], ...o.client }],
    });
    browser = await launchBrowser();
  } catch (err) {
    await close();
    throw err;
  }
  return { app, idp, browser: browser.browser, close };
}
