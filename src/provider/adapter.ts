import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Json, Storage } from '../storage/types.ts';

const epoch = () => Math.floor(Date.now() / 1000);

/**
 * oidc-provider's persistence contract mapped onto Storage. Clients are not oidc-provider
 * payloads here: they live in the clients table (config and management API write there).
 */
export function createAdapterClass(storage: Storage) {
  return class StorageAdapter implements Adapter {
    constructor(readonly model: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      if (this.model === 'Client') return; // dynamic registration is off; clients come from Storage
      await storage.upsertPayload(this.model, id, payload as Json, expiresIn ? epoch() + expiresIn : null);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.model === 'Client') {
        const client = await storage.getClient(id);
        return client?.metadata as AdapterPayload | undefined;
      }
      return storage.findPayload(this.model, id) as Promise<AdapterPayload | undefined>;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return storage.findPayloadBy(this.model, 'user_code', userCode) as Promise<AdapterPayload | undefined>;
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return storage.findPayloadBy(this.model, 'uid', uid) as Promise<AdapterPayload | undefined>;
    }

    async consume(id: string): Promise<void> {
      await storage.consumePayload(this.model, id, epoch());
    }

    async destroy(id: string): Promise<void> {
      await storage.destroyPayload(this.model, id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await storage.revokeByGrantId(this.model, grantId);
    }
  };
}
