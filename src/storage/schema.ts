// Table types shared by every backend. JSON columns are stored as text so that
// SQLite and PostgreSQL behave identically; epoch seconds are stored as bigint.

export interface OidcPayloadTable {
  model: string;
  id: string;
  payload: string;
  grant_id: string | null;
  user_code: string | null;
  uid: string | null;
  account_id: string | null;
  expires_at: number | null;
  consumed_at: number | null;
}

export interface ClientTable {
  client_id: string;
  metadata: string;
  source: string; // 'config' | 'api'
  created_at: number;
  updated_at: number;
}

export interface ClientWebOriginTable {
  origin: string;
  client_id: string;
}

export interface UserTable {
  id: string;
  connection: string;
  username: string;
  email: string | null;
  password_hash: string | null;
  profile: string;
  /** JSON array of role names (console/roles.ts). */
  roles: string;
  created_at: number;
  updated_at: number;
}

export interface AuditLogTable {
  id: string;
  /** epoch milliseconds */
  at: number;
  actor: string;
  action: string;
  target: string | null;
  status: number;
  detail: string | null;
}

export interface ConnectionTable {
  name: string;
  type: string;
  strategy: string;
  options: string;
  updated_at: number;
}

export interface SigningKeyTable {
  kid: string;
  alg: string;
  private_jwk: string;
  created_at: number;
  retired_at: number | null;
}

export interface SettingTable {
  key: string;
  value: string;
}

export interface SsoSessionTable {
  uid: string;
  account_id: string;
  username: string;
  connection_name: string;
  connection_strategy: string;
  clients: string; // JSON SessionClient[] in sign-in order
  last_used_client_id: string | null;
  upstream: string | null; // JSON {connection, id_token} for federated logout
  created_at: number;
  updated_at: number;
  expires_at: number;
}

export interface LogoutRecordTable {
  id: string;
  trigger: string;
  account_id: string | null;
  username: string | null;
  session_uid: string;
  status: string;
  return_to: string | null;
  page_token: string;
  actor: string | null;
  created_at: number;
  completed_at: number | null;
}

export interface DeliveryTable {
  id: string;
  logout_id: string;
  position: number;
  client_id: string;
  client_name: string | null;
  channel: string;
  target: string | null;
  sid: string | null;
  sub: string | null;
  include_sid: number;
  /** JSON of ChannelParams */
  channel_params: string | null;
  status: string;
  attempts: number;
  last_error: string | null;
  latency_ms: number | null;
  /** epoch milliseconds */
  next_attempt_at: number;
  deadline_at: number;
  claimed_by: string | null;
  claimed_until: number | null;
  created_at: number;
  updated_at: number;
  completed_at: number | null;
}

export interface IdentityTable {
  connection: string;
  subject: string;
  user_id: string;
  created_at: number;
}

/** Failed sign-ins per key (an account or an address); times are epoch milliseconds. */
export interface LoginFailureTable {
  key: string;
  failures: number;
  window_started_at: number;
  last_failure_at: number;
}

export interface DeliveryEventTable {
  id: string;
  delivery_id: string;
  /** epoch milliseconds */
  at: number;
  event: string;
  status: string | null;
  detail: string | null;
}

export interface Database {
  audit_log: AuditLogTable;
  delivery_events: DeliveryEventTable;
  identities: IdentityTable;
  login_failures: LoginFailureTable;
  logout_records: LogoutRecordTable;
  deliveries: DeliveryTable;
  oidc_payloads: OidcPayloadTable;
  clients: ClientTable;
  client_web_origins: ClientWebOriginTable;
  users: UserTable;
  connections: ConnectionTable;
  signing_keys: SigningKeyTable;
  settings: SettingTable;
  sso_sessions: SsoSessionTable;
}
