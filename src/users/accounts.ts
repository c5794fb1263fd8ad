import { randomUUID } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import type { Storage, StoredUser } from '../storage/types.ts';
import { epochSeconds, isoFromSeconds } from '../time.ts';

export interface NewUser {
  connection: string;
  username: string;
  password?: string;
  email?: string | null;
  name?: string | null;
  profile?: Record<string, unknown>;
  roles?: string[];
}

// argon2id with the library's defaults (m=19 MiB, t=2, p=1: OWASP's recommended minimum)
export const hashPassword = (password: string) => hash(password);

// A real hash verified on unknown usernames, so timing does not reveal which usernames exist.
let decoyHash: Promise<string> | undefined;

export async function verifyPassword(user: StoredUser | undefined, password: string): Promise<boolean> {
  if (!user?.password_hash) {
    decoyHash ??= hash('adieu-decoy-password');
    await verify(await decoyHash, password).catch(() => false);
    return false;
  }
  return verify(user.password_hash, password).catch(() => false);
}

/** The name shown for a user: what the upstream calls them for federated users, else the username. */
export function displayName(user: StoredUser): string {
  return typeof user.profile.preferred_username === 'string' ? user.profile.preferred_username : user.username;
}

/** A user record ready to store (the password hashed). */
export async function newUserRecord(input: NewUser): Promise<StoredUser> {
  const t = epochSeconds();
  return {
    id: randomUUID(),
    connection: input.connection,
    username: input.username,
    email: input.email ?? null,
    password_hash: input.password ? await hashPassword(input.password) : null,
    profile: { ...(input.profile ?? {}), ...(input.name ? { name: input.name } : {}) },
    roles: input.roles ?? [],
    created_at: t,
    updated_at: t,
  };
}

export async function createUser(storage: Storage, input: NewUser): Promise<StoredUser> {
  const user = await newUserRecord(input);
  await storage.createUser(user);
  return user;
}

/** Public view of a user: never the password hash. */
export function publicUser(user: StoredUser) {
  const { password_hash, ...rest } = user;
  return { ...rest, has_password: !!password_hash, created_at: isoFromSeconds(user.created_at), updated_at: isoFromSeconds(user.updated_at) };
}

/** oidc-provider's findAccount: the account id is the user id. */
export function accountFinder(storage: Storage) {
  return async (_ctx: unknown, id: string) => {
    const user = await storage.getAccount(id);
    if (!user) return undefined;
    return {
      accountId: user.id,
      async claims() {
        return {
          sub: user.id,
          email: user.email ?? undefined,
          email_verified: user.email ? user.profile.email_verified === true : undefined,
          name: (user.profile.name as string | undefined) ?? undefined,
          preferred_username: displayName(user),
          connection: user.connection,
        };
      },
    };
  };
}
