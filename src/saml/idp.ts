import { createHmac, randomBytes } from 'node:crypto';
import type { Element } from '@xmldom/xmldom';
import type { Context } from 'koa';
import type { SamlServiceProvider } from '../clients/metadata.ts';
import type { AdieuConfig } from '../config/schema.ts';
import { readForm } from '../http/body.ts';
import { PageError } from '../http/errors.ts';
import type { SessionClient, Storage, StoredUser } from '../storage/types.ts';
import { epochSeconds } from '../time.ts';
import { displayName } from '../users/accounts.ts';
import { decodePostMessage, decodeRedirectMessage, postDocument, redirectUrl, sendPostDocument, type Param } from './bindings.ts';
import type { NameId } from './messages.ts';
import { SchemaValidator } from './schema.ts';
import { readRedirectQuery, refuseUnsigned, verifiedMessage, verifyRedirectSignature, type SigningCredentials } from './signature.ts';
import { XmlSigner } from './signer.ts';
import { samlUrls } from './urls.ts';
import type { XmlElement } from './xml-writer.ts';
import { NS, parseXml, requiredChild, SamlError, textOf } from './xml.ts';

/** A SAML message refused before Adieu could trust where to answer: the person sees why. */
export class SamlRequestRefused extends PageError {
  constructor(message: string, status = 400) {
    super(status, 'Request refused', 'The application sent a request Adieu cannot accept', message, 'Go back to the application and try again; if it keeps happening, tell its administrator.');
  }
}

export interface ServiceProvider {
  client_id: string;
  client_name: string | undefined;
  sp: SamlServiceProvider & { want_requests_signed: boolean; name_id_format: NonNullable<SamlServiceProvider['name_id_format']> };
}

/** A message received over a browser binding, verified and checked. */
export interface Received {
  root: Element;
  param: Param;
  binding: 'HTTP-Redirect' | 'HTTP-POST';
  relayState: string | undefined;
  /** Whether a signature was verified (false: unsigned, accepted because the SP does not require one). */
  signed: boolean;
}

/** SAML attribute names Adieu sends when an SP maps none (Auth0's default claim URIs). */
const DEFAULT_ATTRIBUTES: Record<string, NonNullable<SamlServiceProvider['attributes']>[string]> = {
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier': 'user_id',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress': 'email',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name': 'name',
};

const MESSAGE_IDS = 'SamlMessageId';
const PAIRWISE_KEY = 'saml_pairwise_key';

/**
 * Adieu as a SAML 2.0 identity provider: its identity and key, the SPs registered as clients,
 * and the checks every inbound message passes (bindings, signature, issuer, destination, time,
 * replay). Endpoints (src/saml/endpoints) and the SAML logout channels use it.
 */
export class SamlIdp {
  readonly entityId: string;
  #pairwiseKey: Promise<string> | undefined;

  readonly schema = new SchemaValidator();
  readonly signer: XmlSigner;

  constructor(readonly config: AdieuConfig, readonly storage: Storage, readonly credentials: SigningCredentials) {
    this.entityId = config.saml.entity_id ?? `urn:${new URL(config.issuer).host}`;
    this.signer = new XmlSigner(credentials);
  }

  close() {
    return this.schema.close();
  }

  urls(clientId: string) {
    return samlUrls(this.config.base_url, clientId);
  }

  async serviceProvider(clientId: string): Promise<ServiceProvider> {
    const client = await this.storage.getClient(clientId);
    const sp = client?.metadata.saml;
    if (!client || !sp) throw new SamlRequestRefused(`No SAML application ${clientId} is registered.`, 404);
    return { client_id: client.client_id, client_name: client.metadata.client_name, sp: sp as ServiceProvider['sp'] };
  }

  /**
   * Reads a message from the Redirect (GET) or POST binding and verifies it: the SAML 2.0 schema,
   * the SP's signature (required when it wants requests signed), Issuer and Destination. Callers
   * check IssueInstant and replay (checkFresh) for requests.
   */
  async receive(ctx: Context, sp: ServiceProvider, endpoint: string): Promise<Received> {
    const received = ctx.method === 'GET' ? await this.#fromRedirect(ctx.querystring, sp) : await this.#fromPost(ctx, sp);
    const root = received.root;
    if (textOf(requiredChild(root, NS.saml, 'Issuer')) !== sp.sp.entity_id) throw new SamlError(`the message's Issuer is not ${sp.sp.entity_id}`);
    const destination = root.getAttribute('Destination');
    if (destination && destination !== endpoint) throw new SamlError(`the message is addressed to ${destination}, not to ${endpoint}`);
    if (received.signed && !destination) throw new SamlError('a signed message must name its Destination (bindings §3.4.5.2, §3.5.5.2)');
    return received;
  }

  async #fromRedirect(rawQuery: string, sp: ServiceProvider): Promise<Received> {
    const q = readRedirectQuery(rawQuery);
    const text = decodeRedirectMessage(q.message);
    const root = parseXml(text).documentElement!;
    await this.schema.validate(text);
    if (q.signed) verifyRedirectSignature(q.signed, sp.sp.signing_certificates ?? []);
    else refuseUnsigned(sp);
    return { root, param: q.param, binding: 'HTTP-Redirect', relayState: q.relayState, signed: !!q.signed };
  }

  async #fromPost(ctx: Context, sp: ServiceProvider): Promise<Received> {
    const form = await readForm(ctx, 128 * 1024);
    const param: Param | undefined = form.SAMLRequest !== undefined ? 'SAMLRequest' : form.SAMLResponse !== undefined ? 'SAMLResponse' : undefined;
    if (!param || (form.SAMLRequest !== undefined && form.SAMLResponse !== undefined)) throw new SamlError('the form must carry one SAMLRequest or SAMLResponse');
    const text = decodePostMessage(form[param]!);
    const doc = parseXml(text); // a DTD or garbage is refused before the schema validator sees it
    await this.schema.validate(text);
    const { root, signed } = verifiedMessage(sp, text, doc);
    return { root, param, binding: 'HTTP-POST', relayState: form.RelayState, signed };
  }

  /** Refuses a request too old, from the future, or seen before (replay). */
  async checkFresh(sp: ServiceProvider, id: string, issueInstant_ms: number, now_ms = Date.now()) {
    const { clock_skew_s, request_max_age_s } = this.config.saml;
    if (issueInstant_ms > now_ms + clock_skew_s * 1000) throw new SamlError('the message was issued in the future (check the clocks)');
    if (issueInstant_ms < now_ms - (request_max_age_s + clock_skew_s) * 1000) throw new SamlError(`the message is older than ${request_max_age_s} s`);
    // remembered until it would be refused as too old anyway; of two uses exactly one consumes
    const key = `${sp.client_id} ${id}`;
    await this.storage.upsertPayload(MESSAGE_IDS, key, {}, Math.ceil(issueInstant_ms / 1000) + request_max_age_s + 2 * clock_skew_s);
    if (!(await this.storage.consumePayload(MESSAGE_IDS, key, epochSeconds()))) throw new SamlError(`message ${id} was already received (replay)`);
  }

  /**
   * The NameID an SP gets for a user (core §8.3): the one already issued to it in this session
   * (a transient identifier must not change within a session), else per its name_id_format.
   */
  async nameIdFor(sp: ServiceProvider, user: StoredUser, inSession: SessionClient | undefined): Promise<NameId> {
    const format = sp.sp.name_id_format;
    if (inSession?.name_id && inSession.name_id.format === format) return inSession.name_id;
    switch (format) {
      case 'email':
        if (!user.email) throw new SamlError(`${displayName(user)} has no email address, which ${sp.client_id} uses as NameID`, 'urn:oasis:names:tc:SAML:2.0:status:Responder', 'urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy');
        return { value: user.email, format };
      case 'persistent': {
        // pairwise: stable for this user at this SP, unlinkable across SPs (core §8.3.7)
        const key = await (this.#pairwiseKey ??= this.storage.setSettingIfAbsent(PAIRWISE_KEY, randomBytes(32).toString('base64url')));
        const value = createHmac('sha256', key).update(`${sp.sp.entity_id}\u0000${user.id}`).digest('base64url');
        return { value, format, sp_name_qualifier: sp.sp.entity_id };
      }
      case 'transient':
        return { value: `_${randomBytes(20).toString('hex')}`, format, sp_name_qualifier: sp.sp.entity_id };
      default:
        return { value: user.id, format: 'unspecified' };
    }
  }

  attributesFor(sp: ServiceProvider, user: StoredUser): { name: string; values: string[] }[] {
    const mapping = sp.sp.attributes ?? DEFAULT_ATTRIBUTES;
    const value = (property: string): string | undefined => {
      switch (property) {
        case 'user_id': return user.id;
        case 'username': return user.username;
        case 'email': return user.email ?? undefined;
        case 'email_verified': return user.email ? String(user.profile.email_verified === true) : undefined;
        case 'name': return typeof user.profile.name === 'string' ? user.profile.name : undefined;
        case 'preferred_username': return displayName(user);
        default: return undefined;
      }
    };
    return Object.entries(mapping).flatMap(([name, property]) => {
      const v = value(property);
      return v === undefined ? [] : [{ name, values: [v] }];
    });
  }

  /**
   * Sends a message to an SP through the browser, over the binding its endpoint has: Redirect
   * signs the query; POST signs the message itself (unless it is signed already).
   */
  async send(ctx: Context, to: { binding: 'HTTP-Redirect' | 'HTTP-POST'; location: string }, param: Param, message: XmlElement, relayState: string | undefined, options: { signed?: boolean } = {}) {
    if (to.binding === 'HTTP-Redirect') return ctx.redirect(redirectUrl(to.location, param, message, relayState, this.signer));
    sendPostDocument(ctx, postDocument(to.location, param, options.signed ? message : await this.signer.sign(message), relayState));
  }
}
