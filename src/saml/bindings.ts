import { inflateRawSync } from 'node:zlib';
import type { Context } from 'koa';
import { html, page, sendHtml } from '../http/html.ts';
import type { XmlSigner } from './signer.ts';
import { renderCanonical, type XmlElement } from './xml-writer.ts';
import { MAX_MESSAGE_BYTES, SamlError } from './xml.ts';

// HTTP-Redirect (bindings §3.4) and HTTP-POST (§3.5): how a message travels through the browser.

/** Redirect binding: DEFLATE, base64; inflating stops at the size bound (a deflate bomb is small on the wire). */
export function decodeRedirectMessage(value: string): string {
  try {
    return inflateRawSync(Buffer.from(value, 'base64'), { maxOutputLength: MAX_MESSAGE_BYTES }).toString('utf8');
  } catch (err) {
    const tooLarge = (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
    throw new SamlError(tooLarge ? `message larger than ${MAX_MESSAGE_BYTES} bytes` : 'the Redirect-binding message is not DEFLATE-compressed base64');
  }
}

export function decodePostMessage(value: string): string {
  if (value.length > (MAX_MESSAGE_BYTES * 4) / 3 + 4) throw new SamlError(`message larger than ${MAX_MESSAGE_BYTES} bytes`);
  if (!/^[A-Za-z0-9+/=\s]*$/.test(value)) throw new SamlError('the POST-binding message is not base64');
  return Buffer.from(value, 'base64').toString('utf8');
}

export type Param = 'SAMLRequest' | 'SAMLResponse';

/** A Redirect-binding URL carrying `message`, signed over the query (§3.4.4.1). */
export function redirectUrl(location: string, param: Param, message: XmlElement, relayState: string | undefined, signer: XmlSigner): string {
  return `${location}${location.includes('?') ? '&' : '?'}${signer.redirectQuery(param, message, relayState)}`;
}

/**
 * A POST-binding page: the message (signed in place, §3.5.5.2), in a form the browser submits at
 * once; without JavaScript the person presses Continue.
 */
export function postDocument(location: string, param: Param, signed: XmlElement, relayState: string | undefined): string {
  return page('Continue', html`
    <h1>Continuing…</h1>
    <form method="post" action="${location}" id="saml-post">
      <input type="hidden" name="${param}" value="${Buffer.from(renderCanonical(signed), 'utf8').toString('base64')}">
      ${relayState !== undefined ? html`<input type="hidden" name="RelayState" value="${relayState}">` : ''}
      <noscript><p>JavaScript is off: press Continue to go on.</p></noscript>
      <button type="submit">Continue</button>
    </form>
    <script src="/assets/saml-post.js"></script>`);
}

/**
 * Sends a POST-binding page (its script is Adieu's own); `framed`: it runs in a frame of Adieu's
 * logout page.
 */
export function sendPostDocument(ctx: Context, document: string, options: { framed?: boolean } = {}) {
  sendHtml(ctx, 200, document, { scripts: true, framed: options.framed });
}
