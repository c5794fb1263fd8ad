import type { Logger } from 'pino';
import { UniqueViolation, type Storage, type StoredUser } from '../storage/types.ts';
import { newUserRecord } from './accounts.ts';

export interface UpstreamClaims {
  sub: string;
  email?: unknown;
  email_verified?: unknown;
  preferred_username?: unknown;
  name?: unknown;
}

/** More accounts than this with one address: too ambiguous to link any. */
const EMAIL_HOLDERS_LIMIT = 50;

const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);

/**
 * The Adieu user an upstream sign-in is. An upstream identity is (connection, upstream `sub`):
 * the only claim the upstream guarantees is stable and its own (OIDC Core §5.7: other claims,
 * email included, may be set by the person). Email links an upstream identity to an existing
 * account only where the connection allows it (`link_verified_email`), the upstream says the
 * address is verified, and exactly one account holds it — one whose own address was not
 * declared unverified. Otherwise a new user is created, holding the identity.
 */
export async function federatedUser(storage: Storage, connection: { name: string; link_verified_email?: boolean }, claims: UpstreamClaims, logger: Logger): Promise<StoredUser> {
  const known = await storage.findUserByIdentity(connection.name, claims.sub);
  if (known) return known;

  const email = str(claims.email);
  if (connection.link_verified_email && email && claims.email_verified === true) {
    // which accounts may be linked is decided before counting them: a cut-off list could hide a second holder
    const found = await storage.findUsersByEmail(email, EMAIL_HOLDERS_LIMIT);
    const holders = found.filter((u) => u.profile.email_verified !== false);
    if (holders.length === 1 && found.length < EMAIL_HOLDERS_LIMIT) {
      await storage.linkIdentity(connection.name, claims.sub, holders[0]!).catch(ignoreRace);
      logger.info({ event: 'user.linked', connection: connection.name, user_id: holders[0]!.id }, 'upstream identity linked by verified email');
      return (await storage.findUserByIdentity(connection.name, claims.sub))!;
    }
  }

  // the username is the upstream sub (unique in the connection whatever the upstream's other
  // claims say); the name the person goes by is kept as preferred_username
  const user = await newUserRecord({
    connection: connection.name,
    username: claims.sub,
    email: email ?? null,
    name: str(claims.name) ?? null,
    profile: {
      upstream_sub: claims.sub,
      email_verified: claims.email_verified === true,
      preferred_username: str(claims.preferred_username) ?? email ?? claims.sub,
    },
  });
  await storage.linkIdentity(connection.name, claims.sub, user, { create: true }).catch(ignoreRace);
  // a parallel sign-in of the same identity may have created it first: that one is the user
  return (await storage.findUserByIdentity(connection.name, claims.sub))!;
}

function ignoreRace(err: unknown) {
  if (!(err instanceof UniqueViolation)) throw err;
}
