import type { z } from 'zod';
import { describeIssues } from '../clients/metadata.ts';
import { Problem } from '../http/problem.ts';

/** Parses API input or throws a 400 problem naming every bad field. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new Problem(400, 'Invalid request body', describeIssues(result.error), {
      errors: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message, ...(i.code === 'unrecognized_keys' ? { keys: i.keys } : {}) })),
    });
  }
  return result.data;
}

export function pagination(query: Record<string, unknown>) {
  const limit = query.limit === undefined ? 50 : Number(query.limit);
  const offset = query.offset === undefined ? 0 : Number(query.offset);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new Problem(400, 'Invalid query', 'limit must be an integer from 1 to 500');
  if (!Number.isInteger(offset) || offset < 0) throw new Problem(400, 'Invalid query', 'offset must be a non-negative integer');
  return { limit, offset };
}
