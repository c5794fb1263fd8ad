import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Whether two secrets are equal, in constant time (both hashed first: no length or prefix leaks). */
export const sameSecret = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

/**
 * Checks `Authorization: Bearer <token>` against a configured secret in constant time (both sides
 * are hashed first, so neither the length nor a prefix leaks through timing).
 */
export function bearerChecker(token: string | undefined): ((ctx: Context) => boolean) | undefined {
  if (!token) return undefined;
  const expected = digest(token);
  return (ctx) => {
    const match = /^Bearer ([\x21-\x7e]+)$/.exec(ctx.get('authorization'));
    return !!match && timingSafeEqual(digest(match[1]!), expected);
  };
}
