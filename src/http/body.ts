import type { Context } from 'koa';

export class BodyError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export async function readRaw(ctx: Context, limit: number): Promise<string> {
  const declared = Number(ctx.get('content-length') || 0);
  if (declared > limit) throw new BodyError(413, `request body exceeds ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyError(413, `request body exceeds ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** JSON body for the management API; anything else is a 415, oversized a 413, garbage a 400. */
export async function readJson(ctx: Context, limit = 256 * 1024): Promise<unknown> {
  if (!ctx.is('application/json')) throw new BodyError(415, 'Content-Type must be application/json');
  const raw = await readRaw(ctx, limit);
  try {
    return JSON.parse(raw);
  } catch {
    throw new BodyError(400, 'request body is not valid JSON');
  }
}

/** application/x-www-form-urlencoded body for server-rendered forms; single-valued fields only. */
export async function readForm(ctx: Context, limit = 16 * 1024): Promise<Record<string, string>> {
  if (!ctx.is('application/x-www-form-urlencoded')) throw new BodyError(415, 'form must be application/x-www-form-urlencoded');
  const params = new URLSearchParams(await readRaw(ctx, limit));
  const out: Record<string, string> = {};
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key);
    if (values.length > 1) throw new BodyError(400, `parameter ${key} must be given once`);
    out[key] = values[0]!;
  }
  return out;
}
