import { z } from 'zod';
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

const MAX_OFFSET = 1_000_000_000;

/** A query parameter given once, as a string of digits in [min, max]. */
const count = (min: number, max: number) => z.string().regex(/^\d{1,10}$/, 'must be a whole number written in digits')
  .transform(Number).refine((n) => n >= min && n <= max, `must be from ${min} to ${max}`);

export const paginationQuery = {
  limit: count(1, 500).default(50),
  offset: count(0, MAX_OFFSET).default(0),
};

/**
 * Parses a query string strictly: every parameter is known, given once and well-formed, or the
 * answer is a 400 problem naming it.
 */
export function parseQuery<T extends z.ZodRawShape>(shape: T, query: Record<string, unknown>): z.infer<z.ZodObject<T>> {
  const result = z.object(shape).strict().safeParse(query);
  if (!result.success) {
    const issues = result.error.issues.map((i) => ({
      ...i,
      message: Array.isArray(query[String(i.path[0])]) ? 'must be given once' : i.message,
    }));
    throw new Problem(400, 'Invalid query', describeIssues({ issues } as z.ZodError), {
      errors: issues.map((i) => ({ parameter: i.path.join('.'), message: i.message, ...(i.code === 'unrecognized_keys' ? { keys: i.keys } : {}) })),
    });
  }
  return result.data;
}
