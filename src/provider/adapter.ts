import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import type { ClientMetadata } from '../clients/metadata.ts';
import { mergeSessionPayload } from '../sessions/session-merge.ts';
import { isOnlyTouch } from '../sessions/touch.ts';
import type { Json, Storage } from '../storage/types.ts';
import { epochSeconds } from '../time.ts';
import { requestScope, type LoadedSession, type RecordUpdate } from './request-scope.ts';


/**
 * oidc-provider's persistence contract mapped onto Storage. Clients are not oidc-provider
 * payloads here: they live in the clients table (config and management API write there).
 *
 * Sessions are not last-writer-wins: oidc-provider saves the whole Session at the end of every
 * request, so a browser's parallel sign-ins would each drop the others' clients. A save merges
 * what this request changed (against what it loaded) into what is stored, under a lock.
 */
export interface ReplayDetected { model: string; grantId?: string; clientId?: string }

/**
 * Whether a Session save can be left unwritten: this request loaded the session and changes
 * nothing of it, nor of its SSO record, but the times a save slides (sessions/touch.ts).
 */
function isSessionTouch(loaded: LoadedSession, ours: Json, updateRecord: RecordUpdate | undefined, interval_s: number): boolean {
  if (!isOnlyTouch(loaded.payload, ours, interval_s)) return false;
  if (!updateRecord) return true;
  const next = loaded.record && updateRecord(loaded.record);
  return !!next && isOnlyTouch(loaded.record, next, interval_s);
}

export function createAdapterClass(storage: Storage, clientView: (m: ClientMetadata) => Record<string, unknown>, options: { sessionTouch_s: number; onReplay?: (replay: ReplayDetected) => void }) {
  const { sessionTouch_s, onReplay } = options;
  return class StorageAdapter implements Adapter {
    constructor(readonly model: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      if (this.model === 'Client') return; // dynamic registration is off; clients come from Storage
      const expiresAt = expiresIn ? epochSeconds() + expiresIn : null;
      if (this.model !== 'Session') return storage.upsertPayload(this.model, id, payload as Json, expiresAt);
      const scope = requestScope();
      const loaded = scope?.loadedSessions.get(payload.uid as string);
      // a session whose id this request rotated (oidc-provider destroys the old id first) is
      // gone from storage but not ended
      const rotated = !!loaded && scope!.destroyedSessions.has(loaded.payload.jti as string);
      const ours = payload as Json & { uid: string; jti: string };
      const record = scope?.sessionRecord?.uid === ours.uid ? scope.sessionRecord.update : undefined;
      if (loaded && !rotated && isSessionTouch(loaded, ours, record, sessionTouch_s)) return;
      await storage.saveSession(ours, expiresAt, (stored) => (!stored && rotated ? ours : mergeSessionPayload(loaded?.payload, ours, stored)), record);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.model === 'Client') {
        const client = await storage.getClient(id);
        return client && clientView(client.metadata) as AdapterPayload;
      }
      if (this.model === 'Session') {
        const found = await storage.findSession(id, epochSeconds());
        // oidc-provider mutates the objects it is given: the merge's base is a copy
        if (found) requestScope()?.loadedSessions.set(found.payload.uid as string, { payload: structuredClone(found.payload), record: found.record });
        return found?.payload as AdapterPayload | undefined;
      }
      return await storage.findPayload(this.model, id) as AdapterPayload | undefined;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return storage.findPayloadBy(this.model, 'user_code', userCode) as Promise<AdapterPayload | undefined>;
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return storage.findPayloadBy(this.model, 'uid', uid) as Promise<AdapterPayload | undefined>;
    }

    async consume(id: string): Promise<void> {
      if (await storage.consumePayload(this.model, id, epochSeconds())) return;
      // Used twice — replayed, or raced by a copy (OAuth 2.0 Security BCP, RFC 9700 §4.14.2):
      // oidc-provider checks `consumed` before consuming, but two requests can both pass that
      // check; the compare-and-set here catches the second, and the whole family is revoked.
      const payload = await storage.findPayload(this.model, id);
      const grantId = payload?.grantId as string | undefined;
      if (grantId) await storage.revokeGrant(grantId);
      onReplay?.({ model: this.model, grantId, clientId: payload?.clientId as string | undefined });
      throw new errors.InvalidGrant(`${this.model === 'RefreshToken' ? 'refresh token' : this.model === 'AuthorizationCode' ? 'authorization code' : this.model} already used`);
    }

    async destroy(id: string): Promise<void> {
      const scope = requestScope();
      const deferred = scope?.deferredEnding;
      if (this.model === 'Session') {
        scope?.destroyedSessions.add(id);
        if (deferred) return void deferred.sessionIds.push(id);
      }
      if (this.model === 'Grant' && deferred) return void deferred.grants.push(id);
      await storage.destroyPayload(this.model, id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      const deferred = requestScope()?.deferredEnding;
      if (deferred) return void deferred.revocations.push({ model: this.model, grantId });
      await storage.revokeByGrantId(this.model, grantId);
    }
  };
}
