// The one storage interface every backend implements. Keep it small: it speaks in
// domain records, never in SQL, so a new backend is one class and one dialect.

export type Json = Record<string, unknown>;

export interface StoredClient {
  client_id: string;
  metadata: Json;
  source: 'config' | 'api';
  created_at: number;
  updated_at: number;
}

export interface StoredUser {
  id: string;
  connection: string;
  username: string;
  email: string | null;
  password_hash: string | null;
  profile: Json;
  created_at: number;
  updated_at: number;
}

export interface StoredConnection {
  name: string;
  type: 'database' | 'oidc';
  strategy: string;
  options: Json;
}

export interface StoredSigningKey {
  kid: string;
  alg: string;
  private_jwk: Json;
  created_at: number;
  retired_at: number | null;
}

/** One application the user signed in to during an SSO session. */
export interface SessionClient {
  client_id: string;
  sid: string | null;
  first_at: number;
  last_at: number;
}

/** Adieu's view of a live SSO session: what getSSOData reports and what logout walks. */
export interface SsoSessionRecord {
  uid: string;
  account_id: string;
  username: string;
  connection: { name: string; strategy: string };
  clients: SessionClient[];
  last_used_client_id: string | null;
  upstream: { connection: string; id_token: string } | null;
  created_at: number;
  updated_at: number;
  expires_at: number;
}

export interface EndedSessionData {
  record: SsoSessionRecord | undefined;
  /** oidc-provider's Session payload: accountId, authorizations {clientId: {sid, grantId}}, ... */
  session: Json | undefined;
  revokedGrantIds: string[];
}

export interface Storage {
  readonly kind: 'sqlite' | 'postgres';
  migrate(): Promise<void>;
  close(): Promise<void>;

  // oidc-provider models (see provider/adapter.ts)
  upsertPayload(model: string, id: string, payload: Json, expiresAt: number | null): Promise<void>;
  findPayload(model: string, id: string): Promise<Json | undefined>;
  findPayloadBy(model: string, column: 'uid' | 'user_code', value: string): Promise<Json | undefined>;
  consumePayload(model: string, id: string, at: number): Promise<void>;
  destroyPayload(model: string, id: string): Promise<void>;
  revokeByGrantId(model: string, grantId: string): Promise<void>;

  listClients(): Promise<StoredClient[]>;
  getClient(clientId: string): Promise<StoredClient | undefined>;
  /** Creates or replaces; returns true when it was created. */
  putClient(clientId: string, metadata: Json, source: StoredClient['source']): Promise<boolean>;
  deleteClient(clientId: string): Promise<boolean>;

  listUsers(options: { connection?: string; limit: number; offset: number }): Promise<StoredUser[]>;
  getUser(id: string): Promise<StoredUser | undefined>;
  findUser(connection: string, username: string): Promise<StoredUser | undefined>;
  /** Fails with UniqueViolation when (connection, username) exists. */
  createUser(user: StoredUser): Promise<void>;
  updateUser(id: string, patch: Partial<Pick<StoredUser, 'username' | 'email' | 'password_hash' | 'profile'>>): Promise<StoredUser | undefined>;
  deleteUser(id: string): Promise<boolean>;

  putConnection(connection: StoredConnection): Promise<void>;
  listConnections(): Promise<StoredConnection[]>;

  listSigningKeys(): Promise<StoredSigningKey[]>;
  addSigningKey(key: StoredSigningKey): Promise<void>;

  getSetting(key: string): Promise<string | undefined>;
  /** Stores value unless the key exists; returns what is stored afterwards (first writer wins). */
  setSettingIfAbsent(key: string, value: string): Promise<string>;

  saveSsoSession(record: SsoSessionRecord): Promise<void>;
  getSsoSession(uid: string): Promise<SsoSessionRecord | undefined>;
  listSsoSessions(accountId: string, now: number): Promise<SsoSessionRecord[]>;
  /**
   * Ends a session atomically: removes the SSO record, the oidc-provider Session (expired or
   * not), and every token and grant issued in it, except grants marked persistsLogout.
   * Returns what was removed; both parts are undefined when the session was already gone.
   */
  endSession(uid: string): Promise<EndedSessionData>;

  /** SSO sessions past their expiry, oldest first; they still end through endSession. */
  listExpiredSsoSessions(now: number, limit: number): Promise<SsoSessionRecord[]>;
  /** Deletes expired oidc-provider payloads other than sessions; returns how many. */
  sweepExpiredPayloads(now: number): Promise<number>;
}

export class UniqueViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UniqueViolation';
  }
}
