import type { ClientMetadata } from '../clients/metadata.ts';
import type { NameId } from '../saml/messages.ts';
// The one storage interface every backend implements. Keep it small: it speaks in
// domain records, never in SQL, so a new backend is one class and one dialect.

export type Json = Record<string, unknown>;

export interface StoredClient {
  client_id: string;
  /** Validated when written (config, management API), typed when read: parsed once, here. */
  metadata: ClientMetadata;
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
  /** What the user may do in Adieu's own console (console/roles.ts). */
  roles: string[];
  created_at: number;
  updated_at: number;
}

export interface LoginFailures {
  key: string;
  failures: number;
  window_started_at: number;
  last_failure_at: number;
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
  /** The session id this application knows: OIDC `sid`, and a SAML SP's SessionIndex. */
  sid: string | null;
  /** The NameID a SAML SP was given, exactly as issued (its LogoutRequests must carry it). */
  name_id?: NameId;
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
  /** Registration metadata of the session's clients, read in the ending transaction (absent: deleted). */
  clientMetadata: Map<string, ClientMetadata>;
}

// --- logout propagation ---------------------------------------------------------------------

/** A logout channel's name (src/logout/channels): backchannel, frontchannel, legacy_get, or none. */
export type Channel = string;

export type DeliveryStatus =
  // channels Adieu sends itself, worked by the outbox worker
  | 'pending' | 'delivering' | 'retrying' | 'delivered' | 'rejected' | 'failed'
  // channels the browser loads, reported by the logout page
  | 'awaiting_browser' | 'confirmed' | 'loaded' | 'timed_out' | 'cookies_blocked'
  // nothing could be attempted
  | 'skipped' | 'no_channel';

export const FINAL_STATUSES: ReadonlySet<DeliveryStatus> = new Set([
  'delivered', 'rejected', 'failed', 'confirmed', 'loaded', 'timed_out', 'cookies_blocked', 'skipped', 'no_channel',
]);
/** Final statuses that mean the application was signed out. */
export const SUCCESS_STATUSES: ReadonlySet<DeliveryStatus> = new Set(['delivered', 'confirmed', 'loaded']);

/** Per-channel parameters of a delivery, fixed when the logout is planned. */
export interface ChannelParams {
  /** The NameID a SAML SP knows the user by (its logout must carry it exactly). */
  name_id?: NameId;
  /** The JWS algorithm the client's ID tokens are signed with (its logout tokens are too). */
  signing_alg?: string;
}

/** One application's part of a logout. Times are epoch milliseconds. */
export interface Delivery {
  id: string;
  logout_id: string;
  /** Order within the logout: the applications' sign-in order. */
  position: number;
  client_id: string;
  client_name: string | null;
  channel: Channel;
  target: string | null;
  sid: string | null;
  sub: string | null;
  include_sid: boolean;
  /** What its channel needs besides target and sid (from the registration and the session, when planned). */
  channel_params: ChannelParams | null;
  status: DeliveryStatus;
  attempts: number;
  last_error: string | null;
  latency_ms: number | null;
  next_attempt_at: number;
  deadline_at: number;
  created_at: number;
  updated_at: number;
  completed_at: number | null;
}

export type LogoutStatus = 'in_progress' | 'completed' | 'completed_with_failures';

/** One entry of a delivery's history (times in epoch milliseconds). */
export interface DeliveryEvent {
  id: string;
  delivery_id: string;
  at: number;
  /** attempt: one attempt's result (status, detail: the error); retry / cancel: an admin's action (detail: who). */
  event: 'attempt' | 'retry' | 'cancel';
  status: DeliveryStatus | null;
  detail: string | null;
}

/** What happened when one session ended. Times are epoch milliseconds. */
export interface LogoutRecord {
  id: string;
  trigger: string;
  account_id: string | null;
  username: string | null;
  session_uid: string;
  status: LogoutStatus;
  return_to: string | null;
  /** Secret that lets the browser that logged out watch and report on this logout. */
  page_token: string;
  /** Who caused it, as the audit log names actors (`user:<id>`, `client:<id>`, `token:admin`), or `system` (expiry). */
  actor: string | null;
  created_at: number;
  completed_at: number | null;
}

export interface LogoutPlan {
  record: LogoutRecord;
  deliveries: Delivery[];
  /** Back-channel deliveries the ending node claims in the same transaction (no claim round trip). */
  /** Deliveries written already claimed by this node, each with its target (admitted to the node's per-target gate). */
  claim?: { nodeId: string; until: number; targets: Map<string, string> };
}

/** An attempt's result; a final one's latency is stored as completed_at - created_at. */
export interface AttemptOutcome {
  status: DeliveryStatus;
  attempts: number;
  last_error: string | null;
  next_attempt_at: number;
  completed_at: number | null;
}

/** oidc-provider's models (provider/adapter.ts); times are epoch seconds. */
export interface PayloadStore {
  upsertPayload(model: string, id: string, payload: Json, expiresAt_s: number | null): Promise<void>;
  findPayload(model: string, id: string): Promise<Json | undefined>;
  findPayloadBy(model: string, column: 'uid' | 'user_code', value: string): Promise<Json | undefined>;
  /** Marks a payload consumed; true only for the call that did (false: already consumed, or gone). */
  consumePayload(model: string, id: string, at_s: number): Promise<boolean>;
  /** Deletes a grant and every payload issued under it (codes, access and refresh tokens). */
  revokeGrant(grantId: string): Promise<void>;
  destroyPayload(model: string, id: string): Promise<void>;
  revokeByGrantId(model: string, grantId: string): Promise<void>;
  /**
   * Deletes up to `limit` expired oidc-provider payloads, provider Sessions included unless an SSO
   * record holds them (those end through endSession); returns how many.
   */
  sweepExpiredPayloads(now_s: number, limit: number): Promise<number>;
}

/** Who and what Adieu knows: clients, users and their upstream identities, failed sign-ins, connections, keys, settings. */
export interface Directory {
  listClients(): Promise<StoredClient[]>;
  getClient(clientId: string): Promise<StoredClient | undefined>;
  /** The clients with these ids (those that exist): what a session's views need, not every client. */
  getClients(clientIds: Iterable<string>): Promise<Map<string, StoredClient>>;
  /** Creates or replaces; returns true when it was created. */
  putClient(clientId: string, metadata: ClientMetadata, source: StoredClient['source']): Promise<boolean>;
  deleteClient(clientId: string): Promise<boolean>;
  /** Whether some client lists `origin` in its web_origins. */
  isWebOrigin(origin: string): Promise<boolean>;
  listUsers(options: { connection?: string; limit: number; offset: number }): Promise<StoredUser[]>;
  getUser(id: string): Promise<StoredUser | undefined>;
  /**
   * The user an ID token or access token is issued for (claims), read-only: may be up to a second
   * old when another node changed it. Never for checking a password.
   */
  getAccount(id: string): Promise<StoredUser | undefined>;
  findUser(connection: string, username: string): Promise<StoredUser | undefined>;
  /** Fails with UniqueViolation when (connection, username) exists. */
  createUser(user: StoredUser): Promise<void>;
  /** The user an upstream identity (connection, upstream sub) belongs to. */
  findUserByIdentity(connection: string, subject: string): Promise<StoredUser | undefined>;
  /** Links an upstream identity to a user; with `create`, creates that user in the same transaction. */
  linkIdentity(connection: string, subject: string, user: StoredUser, options?: { create?: boolean }): Promise<void>;
  /** Users with this email address (any connection), at most `limit`. */
  findUsersByEmail(email: string, limit: number): Promise<StoredUser[]>;
  /**
   * Counts one failed sign-in for each key, atomically (every node sees the count): a key's
   * window restarts when the last one began more than `window_ms` ago.
   */
  recordLoginFailure(keys: string[], now_ms: number, window_ms: number): Promise<LoginFailures[]>;
  /** The failure counts of these keys (missing keys have none). */
  getLoginFailures(keys: string[]): Promise<LoginFailures[]>;
  clearLoginFailures(keys: string[]): Promise<void>;
  /** Deletes failure counts whose last failure is older than this (ms); returns how many. */
  pruneLoginFailures(before_ms: number, limit: number): Promise<number>;
  updateUser(id: string, patch: Partial<Pick<StoredUser, 'username' | 'email' | 'password_hash' | 'profile' | 'roles'>>): Promise<StoredUser | undefined>;
  deleteUser(id: string): Promise<boolean>;
  putConnection(connection: StoredConnection): Promise<void>;
  listConnections(): Promise<StoredConnection[]>;
  listSigningKeys(): Promise<StoredSigningKey[]>;
  addSigningKey(key: StoredSigningKey): Promise<void>;
  getSetting(key: string): Promise<string | undefined>;
  /** Stores value unless the key exists; returns what is stored afterwards (first writer wins). */
  setSettingIfAbsent(key: string, value: string): Promise<string>;
}

/** SSO sessions: oidc-provider's Session under the session lock, the SSO record, and the one transaction that ends a session (writing the outbox). */
export interface SessionStore {
  /**
   * Saves an oidc-provider Session under a lock on its uid (the same lock as updateSsoSession and
   * endSession): `merge` gets the payload stored now and returns what to write, or undefined to
   * write nothing (the session ended meanwhile). Returns whether it wrote. `updateRecord`, when
   * given, changes the session's SSO record in the same transaction (as updateSsoSession would):
   * a sign-in's session and record are one commit.
   */
  saveSession(
    payload: Json & { uid: string; jti: string },
    expiresAt_s: number | null,
    merge: (stored: Json | undefined) => Json | undefined,
    updateRecord?: (current: SsoSessionRecord | undefined) => SsoSessionRecord | undefined,
  ): Promise<boolean>;
  saveSsoSession(record: SsoSessionRecord): Promise<void>;
  /** A live oidc-provider Session by id and its SSO record (undefined before the first sign-in is recorded), in one read. */
  findSession(id: string, now_s: number): Promise<{ payload: Json; record: SsoSessionRecord | undefined } | undefined>;
  /**
   * Changes a session's SSO record under the session's lock: `update` gets the record (undefined
   * before the first sign-in is recorded) and returns what to store. Nothing is called or written
   * when the oidc-provider Session is gone (the session ended meanwhile).
   */
  updateSsoSession(uid: string, update: (current: SsoSessionRecord | undefined) => SsoSessionRecord | undefined): Promise<SsoSessionRecord | undefined>;
  getSsoSession(uid: string): Promise<SsoSessionRecord | undefined>;
  listSsoSessions(accountId: string, now_s: number): Promise<SsoSessionRecord[]>;
  /**
   * Ends a session atomically: removes the SSO record, the oidc-provider Session (expired or
   * not), and every token and grant issued in it, except grants marked persistsLogout.
   * Returns what was removed; both parts are undefined when the session was already gone.
   * `plan` runs inside the transaction and its logout record and deliveries commit with it.
   */
  endSession(uid: string, plan?: (ended: EndedSessionData) => LogoutPlan | undefined): Promise<EndedSessionData & { logout?: LogoutPlan }>;
  /**
   * endSession for several sessions in one transaction (a few statements for all of them, not a
   * transaction each): results in the order given. Keep batches bounded: their locks are held to
   * the commit.
   */
  endSessions(endings: { uid: string; plan?: (ended: EndedSessionData) => LogoutPlan | undefined }[]): Promise<(EndedSessionData & { logout?: LogoutPlan })[]>;
  /** SSO sessions past their expiry, oldest first; they still end through endSession. */
  listExpiredSsoSessions(now_s: number, limit: number): Promise<SsoSessionRecord[]>;
}

/** Logout records and their deliveries (times in epoch milliseconds): claims, attempts, browser reports, completion, pruning. */
export interface LogoutOutbox {
  /**
   * Claims due back-channel deliveries for this node (exactly one claimant per row: row locks
   * with SKIP LOCKED on PostgreSQL, the single writer on SQLite). A claim is a lease: rows whose
   * lease ran out (their node died mid-send) are claimable again. Claiming counts an attempt,
   * so an attempt lost with its node still shows in `attempts`. Rows for `skipTargets` (busy or
   * failing applications) are left unless their deadline has passed. Oldest due first, except
   * with `onlyTarget` (that application's rows only, as its freed slots claim them): newest first,
   * so a backlog at an application (back from an outage: thousands of earlier logouts) does not
   * hold back the logouts happening now — someone may be watching those; the backlog drains
   * behind them at the application's full rate.
   */
  claimDeliveries(nodeId: string, now_ms: number, lease_ms: number, limit: number, skipTargets?: string[], onlyTarget?: string): Promise<Delivery[]>;
  /** Gives claims back unattempted (the attempt count they took is returned too). */
  releaseClaims(nodeId: string, ids: string[]): Promise<void>;
  /**
   * Records attempts' outcomes (one transaction) where this node still holds the claim;
   * returns the ids it recorded. A row whose lease another node took over is left alone.
   */
  finishAttempts(nodeId: string, outcomes: { id: string; outcome: AttemptOutcome }[]): Promise<Set<string>>;
  /** Browser-reported results for front-channel and legacy deliveries still awaiting them. */
  reportBrowserDeliveries(logoutId: string, reports: { id: string; status: DeliveryStatus; last_error: string | null; latency_ms: number | null }[], now_ms: number): Promise<number>;
  /** Browser deliveries whose page never reported by their deadline become timed_out. */
  expireBrowserDeliveries(now_ms: number): Promise<string[]>;
  /** Marks a logout complete when no delivery is pending; returns it only to the caller that did. */
  completeLogoutIfDone(logoutId: string, now_ms: number): Promise<LogoutRecord | undefined>;
  getLogout(id: string): Promise<(LogoutRecord & { deliveries: Delivery[] }) | undefined>;
  /**
   * The history of a logout's deliveries, oldest first: attempts (written by finishAttempts, all
   * but a success at the first attempt, which the delivery row records) and admins' actions.
   */
  listDeliveryEvents(logoutId: string): Promise<DeliveryEvent[]>;
  appendDeliveryEvents(events: DeliveryEvent[]): Promise<void>;
  /** Newest first; `before` (the last record of the previous page) pages by (created_at, id) on the index, `offset` by counting. */
  listLogouts(filter: { account_id?: string; status?: LogoutStatus; limit: number; offset: number; before?: { at: number; id: string } }): Promise<LogoutRecord[]>;
  /** Back-channel deliveries not yet final, by status. */
  deliveryQueueDepth(): Promise<Record<string, number>>;
  /** Deletes up to `limit` completed logout records created before then (ms), with their deliveries; returns how many. */
  pruneLogouts(createdBefore_ms: number, limit: number): Promise<number>;
}

// --- the admin console's reads and its audit log -------------------------------------------

/** One admin action (times in epoch milliseconds). */
export interface AuditEntry {
  id: string;
  at: number;
  /** Who: `user:<id>` (console), `client:<client_id>` (client credentials), `token:admin` (static token). */
  actor: string;
  /** What: e.g. `session.end`, `delivery.retry`, `client.update`. */
  action: string;
  /** On what: the path of the resource acted on. */
  target: string | null;
  /** The HTTP status the action ended with (refusals are audited too). */
  status: number;
  detail: Json | null;
}

/** A delivery that reached a final status: the facts the console's figures are computed from. */
export interface FinalDelivery {
  logout_id: string;
  client_id: string;
  channel: Channel;
  status: DeliveryStatus;
  latency_ms: number | null;
  last_error: string | null;
  completed_at: number;
}

/** The admin console's queries and the audit log. */
export interface AdminViews {
  appendAudit(entry: AuditEntry): Promise<void>;
  /** Newest first; `before` (the last entry of the previous page) pages by (at, id), indexed. */
  listAudit(filter: { actor?: string; action?: string; before?: { at: number; id: string }; limit: number }): Promise<AuditEntry[]>;
  /** Users whose username or email starts with `prefix` (case as typed), or whose id it is. */
  searchUsers(prefix: string, limit: number): Promise<StoredUser[]>;
  countLiveSsoSessions(now_s: number): Promise<number>;
  /** Logout records created since then, counted by trigger. */
  countLogoutsByTrigger(since_ms: number): Promise<Record<string, number>>;
  /** Deliveries completed since then (of these clients), oldest first. */
  listFinalDeliveries(since_ms: number, clientIds?: string[]): Promise<FinalDelivery[]>;
  /** Logout records of one session (a session has one, unless it was replayed). */
  listLogoutsOfSession(sessionUid: string): Promise<LogoutRecord[]>;
  /**
   * Sends a delivery Adieu sends itself again now: a failed one gets a new deadline, a retrying
   * one skips its wait. Returns it, or undefined when it is not one that can be retried.
   */
  retryDelivery(id: string, now_ms: number, deadline_ms: number, actor: string): Promise<Delivery | undefined>;
  /** Stops a delivery that is not final (skipped, with the reason); undefined when it is final already. */
  cancelDelivery(id: string, reason: string, now_ms: number): Promise<Delivery | undefined>;
  getDelivery(id: string): Promise<Delivery | undefined>;
}

/** Everything Adieu stores, by role; one implementation per SQL backend (sql-storage.ts, sql/). */
export interface Storage extends PayloadStore, Directory, SessionStore, LogoutOutbox, AdminViews {
  readonly kind: 'sqlite' | 'postgres';
  migrate(): Promise<void>;
  close(): Promise<void>;
}

export class UniqueViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UniqueViolation';
  }
}
