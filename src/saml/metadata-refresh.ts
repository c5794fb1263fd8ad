import type { Logger } from 'pino';
import type { ClientMetadata } from '../clients/metadata.ts';
import type { Storage, StoredClient } from '../storage/types.ts';
import { repeatEvery } from '../time.ts';

/** How a registration given as input becomes one to store: `saml.metadata_url` fetched, then validated as any write. */
export type Register = (input: unknown) => Promise<ClientMetadata>;

/**
 * Keeps SPs registered by `saml.metadata_url` in step with the metadata they serve (a certificate
 * rolled over, an endpoint moved): each registration is written again from its stored form, so the
 * metadata gives its entity ID, endpoints and keys and the admin's settings stay. A fetch that
 * fails, or metadata that no longer validates, keeps the last good registration (an SP's web
 * server being down must not unregister it) and is logged.
 */
async function refreshSpMetadata(storage: Storage, register: Register, logger: Logger): Promise<void> {
  const byUrl = (await storage.listClients()).filter((c) => typeof c.metadata.saml?.metadata_url === 'string');
  for (const client of byUrl) {
    try {
      const metadata = await register(client.metadata);
      if (JSON.stringify(metadata) === JSON.stringify(client.metadata)) continue;
      await storage.putClient(client.client_id, metadata, client.source);
      logger.info({ event: 'saml.metadata_refreshed', client_id: client.client_id, metadata_url: client.metadata.saml!.metadata_url }, 'SP metadata changed: registration updated');
    } catch (err) {
      logger.warn({ event: 'saml.metadata_refresh_failed', client_id: client.client_id, metadata_url: client.metadata.saml!.metadata_url, error: describe(err) }, 'SP metadata could not be refreshed: the last good registration is kept');
    }
  }
}

const describe = (err: unknown) => (err as { detail?: string }).detail ?? (err as Error).message;

/** Refreshes every `interval_s` (config saml.metadata_refresh_s), one run at a time. */
export function startMetadataRefresh(storage: Storage, register: Register, logger: Logger, interval_s: number): { stop(): Promise<void> } {
  return repeatEvery(interval_s * 1000, () => refreshSpMetadata(storage, register, logger), (err) => logger.error({ err }, 'SP metadata refresh failed'));
}

/**
 * A client of the config file: registered as it is, or — a SAML SP by `metadata_url` — from its
 * metadata fetched now; when that fails and an earlier start stored it, the stored registration
 * is kept (Adieu starts; the refresh tries again), else starting fails naming the client.
 */
export async function registerConfigClient(input: { client_id: string }, stored: StoredClient | undefined, register: Register, logger: Logger): Promise<ClientMetadata | undefined> {
  try {
    return await register(input);
  } catch (err) {
    const byUrl = (input as { saml?: { metadata_url?: string } }).saml?.metadata_url;
    if (byUrl && stored?.metadata.saml?.metadata_url === byUrl) {
      logger.warn({ event: 'saml.metadata_refresh_failed', client_id: input.client_id, metadata_url: byUrl, error: describe(err) }, 'SP metadata could not be read at start: the registration stored before is used');
      return undefined;
    }
    throw new Error(`config clients[${input.client_id}]: ${describe(err)}`);
  }
}
