import type Router from '@koa/router';
import { z } from 'zod';
import type { AdieuConfig } from '../config/schema.ts';
import { Problem } from '../http/problem.ts';
import type { SessionEnder } from '../sessions/end-session.ts';
import { UniqueViolation, type Storage } from '../storage/types.ts';
import { createUser, hashPassword, publicUser } from '../users/accounts.ts';
import { ROLE_NAMES, type Principal } from './access.ts';
import { objectBody } from './clients.ts';
import { paginationQuery, parseInput, parseQuery } from './validation.ts';

export const newUserSchema = z.object({
  username: z.string().trim().min(1).max(256),
  password: z.string().min(8).max(1024),
  email: z.email().optional(),
  name: z.string().max(256).optional(),
  connection: z.string().optional(),
  roles: z.array(z.enum(ROLE_NAMES)).max(ROLE_NAMES.length).optional(),
}).strict();

export const userPatchSchema = z.object({
  username: z.string().trim().min(1).max(256).optional(),
  password: z.string().min(8).max(1024).optional(),
  email: z.email().nullable().optional(),
  name: z.string().max(256).nullable().optional(),
  /** Console roles (management/access.ts); replaces the list. */
  roles: z.array(z.enum(ROLE_NAMES)).max(ROLE_NAMES.length).optional(),
}).strict();

export function userRoutes(router: Router, config: AdieuConfig, storage: Storage, ender: SessionEnder) {
  const databaseConnections = config.connections.filter((c) => c.type === 'database').map((c) => c.name);

  async function load(id: string) {
    const u = await storage.getUser(id);
    if (!u) throw new Problem(404, 'Not found', `user ${id} does not exist`);
    return u;
  }

  router.get('/users', async (ctx) => {
    const { limit, offset, connection, q } = parseQuery({
      ...paginationQuery,
      connection: z.string().min(1).max(128).optional(),
      /** Search: a user id, or the start of a username or email address. */
      q: z.string().trim().min(1).max(256).optional(),
    }, ctx.query);
    if (q) {
      if (connection || offset) throw new Problem(400, 'Invalid query', 'q: cannot be combined with connection or offset');
      ctx.body = { users: (await storage.searchUsers(q, limit)).map(publicUser), limit, offset };
      return;
    }
    ctx.body = { users: (await storage.listUsers({ connection, limit, offset })).map(publicUser), limit, offset };
  });

  router.post('user.create', '/users', async (ctx) => {
    const input = parseInput(newUserSchema, await objectBody(ctx));
    const connection = input.connection ?? databaseConnections[0];
    if (!connection || !databaseConnections.includes(connection)) {
      throw new Problem(400, 'Invalid request body', `connection: must be one of the database connections (${databaseConnections.join(', ')})`);
    }
    try {
      const user = await createUser(storage, { ...input, connection });
      ctx.status = 201;
      ctx.set('Location', `/api/v1/users/${user.id}`);
      ctx.body = publicUser(user);
    } catch (err) {
      if (err instanceof UniqueViolation) throw new Problem(409, 'Conflict', err.message);
      throw err;
    }
  });

  router.get('/users/:id', async (ctx) => {
    ctx.body = publicUser(await load(ctx.params.id!));
  });

  router.patch('user.update', '/users/:id', async (ctx) => {
    const user = await load(ctx.params.id!);
    const patch = parseInput(userPatchSchema, await objectBody(ctx));
    const profile = { ...user.profile };
    if (patch.name !== undefined) {
      if (patch.name === null) delete profile.name;
      else profile.name = patch.name;
    }
    try {
      const updated = await storage.updateUser(user.id, {
        ...(patch.username !== undefined ? { username: patch.username } : {}),
        ...(patch.email !== undefined ? { email: patch.email } : {}),
        ...(patch.password !== undefined ? { password_hash: await hashPassword(patch.password) } : {}),
        ...(patch.roles !== undefined ? { roles: [...new Set(patch.roles)] } : {}),
        profile,
      });
      // a new password ends every session: whoever knew the old one is signed out
      if (patch.password !== undefined) await ender.endAllFor(user.id, 'password_changed', { actor: (ctx.state.principal as Principal).actor });
      ctx.body = publicUser(updated!);
    } catch (err) {
      if (err instanceof UniqueViolation) throw new Problem(409, 'Conflict', err.message);
      throw err;
    }
  });

  router.delete('user.delete', '/users/:id', async (ctx) => {
    const user = await load(ctx.params.id!);
    await ender.endAllFor(user.id, 'account_deleted', { actor: (ctx.state.principal as Principal).actor });
    await storage.deleteUser(user.id);
    ctx.status = 204;
  });
}
