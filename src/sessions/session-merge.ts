import { isDeepStrictEqual } from 'node:util';
import type { Json } from '../storage/types.ts';

/**
 * Three-way merge of oidc-provider Session payloads, for a save that raced other requests of
 * the same browser (tabs and SPAs signing in to several applications at once).
 *
 * `base` is the payload this request loaded, `ours` what it now saves, `theirs` what is stored
 * now. A key (and, inside `authorizations`, a client) that this request changed takes our
 * value, removal included; one it left alone keeps theirs. Without the merge the last writer
 * drops the other requests' clients, whose codes then fail with invalid_grant and whose
 * sessions logout never reaches.
 *
 * Returns undefined when the session was ended while this request ran (it loaded the session
 * and it is gone now): an ended session is never brought back.
 */
export function mergeSessionPayload(base: Json | undefined, ours: Json, theirs: Json | undefined): Json | undefined {
  if (!theirs) return base ? undefined : ours;
  const merged = threeWay(base ?? {}, ours, theirs);
  const authorizations = threeWay(
    (base?.authorizations ?? {}) as Json,
    (ours.authorizations ?? {}) as Json,
    (theirs.authorizations ?? {}) as Json,
  );
  if (Object.keys(authorizations).length || 'authorizations' in ours || 'authorizations' in theirs) merged.authorizations = authorizations;
  return merged;
}

function threeWay(base: Json, ours: Json, theirs: Json): Json {
  const out: Json = { ...theirs };
  for (const key of new Set([...Object.keys(base), ...Object.keys(ours)])) {
    if (key === 'authorizations') continue;
    if (isDeepStrictEqual(base[key], ours[key])) continue; // left alone here
    if (key in ours) out[key] = ours[key];
    else delete out[key];
  }
  return out;
}
