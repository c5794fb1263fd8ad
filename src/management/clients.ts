import type Router from '@koa/router';
import type Provider from 'oidc-provider';
import { clientMetadataSchema, normalizeClient, type ClientMetadata } from '../clients/metadata.ts';
import { readJson } from '../http/body.ts';
import { Problem } from '../http/problem.ts';
import type { LogoutPropagation } from '../logout/propagation.ts';
import { withFetchedMetadata } from '../saml/sp-metadata.ts';
import { SamlError } from '../saml/xml.ts';
import type { Storage, StoredClient } from '../storage/types.ts';
import { isoFromSeconds } from '../time.ts';
import { CONSOLE_CLIENT_ID } from '../console/client.ts';
import { parseInput } from './validation.ts';

/** A client as the API shows it: never its secret. */
function view(c: StoredClient) {
  const { client_secret, ...metadata } = c.metadata;
  return { ...metadata, has_client_secret: !!client_secret, source: c.source, created_at: isoFromSeconds(c.created_at), updated_at: isoFromSeconds(c.updated_at) };
}

/**
 * Validates with Adieu's schema, then the back-channel host policy, then oidc-provider's own
 * rules (it knows the protocol).
 */
export async function validateClient(provider: Provider, input: unknown, checkHost?: (target: string) => string | undefined): Promise<ClientMetadata> {
  const metadata = normalizeClient(parseInput(clientMetadataSchema, input));
  const refused = metadata.backchannel_logout_uri && checkHost?.(metadata.backchannel_logout_uri);
  if (refused) throw new Problem(400, 'Invalid client metadata', `backchannel_logout_uri: ${refused}`);
  // a SAML SP's SOAP logout is sent by Adieu itself, like back-channel logout
  metadata.saml?.single_logout_services?.forEach((s, i) => {
    const refusedSoap = s.binding === 'SOAP' && checkHost?.(s.location);
    if (refusedSoap) throw new Problem(400, 'Invalid client metadata', `saml.single_logout_services.${i}.location: ${refusedSoap}`);
  });
  if (metadata.saml) return metadata; // oidc-provider sees it as a client Adieu derives (providerClientView)
  try {
    await provider.Client.validate(metadata as any);
  } catch (err) {
    const e = err as { error?: string; error_description?: string; message: string };
    throw new Problem(400, 'Invalid client metadata', e.error_description ?? e.message);
  }
  return metadata;
}

/** A registration by `saml.metadata_url`, fetched now; a URL that gives no metadata is the field's error. */
async function fetchedMetadata(input: unknown, checkHost: (target: string) => string | undefined): Promise<unknown> {
  try {
    return await withFetchedMetadata(input, checkHost);
  } catch (err) {
    if (err instanceof SamlError) throw new Problem(400, 'Invalid client metadata', `saml.metadata_url: ${err.message}`);
    throw err;
  }
}

/**
 * How a registration given as input becomes one to store — `saml.metadata_url` fetched, then
 * validated — for the management API's writes, the config file and the SP metadata refresh alike.
 */
export function clientRegistration(provider: Provider, propagation: LogoutPropagation) {
  const checkHost = (t: string) => propagation.checkHost(t);
  return async (input: unknown): Promise<ClientMetadata> => validateClient(provider, await fetchedMetadata(input, checkHost), checkHost);
}

export function clientRoutes(router: Router, provider: Provider, storage: Storage, propagation: LogoutPropagation) {
  const validate = clientRegistration(provider, propagation);
  async function load(id: string) {
    const c = await storage.getClient(id);
    if (id === CONSOLE_CLIENT_ID && c) throw new Problem(403, 'Forbidden', `client ${id} is Adieu's own console; it is registered by Adieu and cannot be changed`);
    if (!c) throw new Problem(404, 'Not found', `client ${id} does not exist`);
    return c;
  }

  router.get('/clients', async (ctx) => {
    ctx.body = { clients: (await storage.listClients()).map(view) };
  });

  router.post('client.create', '/clients', async (ctx) => {
    const metadata = await validate(await objectBody(ctx));
    if (metadata.client_id === CONSOLE_CLIENT_ID || await storage.getClient(metadata.client_id)) throw new Problem(409, 'Conflict', `client ${metadata.client_id} already exists`);
    await storage.putClient(metadata.client_id, metadata, 'api');
    ctx.status = 201;
    ctx.set('Location', `/api/v1/clients/${encodeURIComponent(metadata.client_id)}`);
    ctx.body = view((await storage.getClient(metadata.client_id))!);
  });

  router.get('/clients/:id', async (ctx) => {
    const c = await storage.getClient(ctx.params.id!);
    if (!c) throw new Problem(404, 'Not found', `client ${ctx.params.id} does not exist`);
    ctx.body = view(c);
  });

  async function replace(id: string, body: Record<string, unknown>) {
    if (body.client_id !== undefined && body.client_id !== id) throw new Problem(400, 'Invalid request body', 'client_id cannot be changed');
    const metadata = await validate({ ...body, client_id: id });
    await storage.putClient(id, metadata, 'api');
    return view((await storage.getClient(id))!);
  }

  router.put('client.replace', '/clients/:id', async (ctx) => {
    await load(ctx.params.id!);
    ctx.body = await replace(ctx.params.id!, await objectBody(ctx));
  });

  router.patch('client.update', '/clients/:id', async (ctx) => {
    const existing = await load(ctx.params.id!);
    const patch = await objectBody(ctx);
    // null removes a field (JSON merge patch, RFC 7396)
    const merged: Record<string, unknown> = { ...existing.metadata, ...patch };
    for (const [k, v] of Object.entries(patch)) if (v === null) delete merged[k];
    ctx.body = await replace(ctx.params.id!, merged);
  });

  router.delete('client.delete', '/clients/:id', async (ctx) => {
    await load(ctx.params.id!);
    if (!(await storage.deleteClient(ctx.params.id!))) throw new Problem(404, 'Not found', `client ${ctx.params.id} does not exist`);
    ctx.status = 204;
  });
}

export async function objectBody(ctx: Parameters<typeof readJson>[0]): Promise<Record<string, unknown>> {
  const body = await readJson(ctx);
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Problem(400, 'Invalid request body', 'body must be a JSON object');
  return body as Record<string, unknown>;
}
