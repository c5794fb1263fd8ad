import { CompiledQuery, type Compilable, type Kysely, type QueryResult } from 'kysely';
import type { Database } from '../schema.ts';

/**
 * A query on a hot path (a silent sign-in runs a dozen) whose SQL is built once per backend:
 * Kysely's builders cost as much as SQLite's execution of the query. `build` runs once with
 * stand-ins for its arguments and must use them only as values (never branch on them); each
 * call then puts its arguments where the stand-ins went.
 */
export function compiledOnce<A extends unknown[], R>(build: (db: Kysely<Database>, ...args: A) => Compilable<R>) {
  const byBackend = new Map<string, { sql: string; parameters: readonly unknown[]; positions: number[] }>();
  return (db: Kysely<Database>, kind: string, ...args: A): Promise<QueryResult<R>> => {
    let made = byBackend.get(kind);
    if (!made) {
      const standIns = args.map((_, i) => `\u0000argument ${i}\u0000`);
      const { sql, parameters } = build(db, ...(standIns as unknown as A)).compile();
      const positions = parameters.map((p) => standIns.indexOf(p as string));
      // every argument must land in a parameter exactly once, or the mapping is wrong
      const used = positions.filter((i) => i >= 0).sort((a, b) => a - b);
      if (used.length !== args.length || used.some((i, n) => i !== n)) throw new Error(`compiledOnce: each argument must be one parameter of ${sql}`);
      made = { sql, parameters, positions };
      byBackend.set(kind, made);
    }
    const { sql, parameters, positions } = made;
    return db.executeQuery(CompiledQuery.raw(sql, parameters.map((p, i) => (positions[i]! >= 0 ? args[positions[i]!] : p)))) as Promise<QueryResult<R>>;
  };
}
