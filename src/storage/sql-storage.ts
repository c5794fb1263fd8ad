import { withAdmin } from './sql/admin.ts';
import { SqlBase } from './sql/base.ts';
import { withDirectory } from './sql/directory.ts';
import { withOutbox } from './sql/outbox.ts';
import { withPayloads } from './sql/payloads.ts';
import { withSessions } from './sql/sessions.ts';
import type { Storage } from './types.ts';

/**
 * The Storage implementation for every SQL backend. Only the Kysely dialect differs between
 * SQLite and PostgreSQL; the queries below are written in the subset both understand.
 */
// One file per role (sql/): payloads, directory, the outbox, and sessions, which comes after the
// outbox because the transaction that ends a session writes it; admin (the console's reads and
// audit log) last.
export class SqlStorage extends withAdmin(withSessions(withOutbox(withDirectory(withPayloads(SqlBase))))) implements Storage {}
