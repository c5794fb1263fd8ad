const EXCERPT_CHARS = 120;
const SECRET_FIELD = /\b(pass(?:word|wd)?|pwd|secret|token|api[_-]?key|key|auth(?:orization)?|cookie|session|credentials?)(["']?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s,;&]+)/gi;
// long runs of token-like characters: keys, hashes, JWTs, session ids
const OPAQUE = /[A-Za-z0-9+/_.=-]{24,}/g;

/**
 * A short, sanitised excerpt of what an application answered, for the admin only (the person
 * is shown a status class). Applications' error pages leak: stack traces, connection strings,
 * secrets. Values of secret-looking fields and long opaque strings are redacted, control
 * characters folded, and the excerpt is cut to 120 characters.
 */
export function sanitizedExcerpt(text: string): string {
  const folded = text.replace(/[\u0000-\u001f\u007f\s]+/g, ' ').trim();
  const redacted = folded.replace(SECRET_FIELD, (_m, name: string, sep: string) => `${name}${sep}[redacted]`).replace(OPAQUE, '[redacted]');
  return redacted.length > EXCERPT_CHARS ? `${redacted.slice(0, EXCERPT_CHARS - 1)}…` : redacted;
}
