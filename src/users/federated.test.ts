import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { openStorage } from '../storage/open.ts';
import type { Storage } from '../storage/types.ts';
import { createUser } from './accounts.ts';
import { federatedUser } from './federated.ts';

describe('federatedUser links by verified email only to the one account holding it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'adieu-federated-'));
  let storage: Storage;
  before(async () => { storage = await openStorage({ kind: 'sqlite', path: join(dir, 'db.sqlite') }); });
  after(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const linked = { name: 'Up', link_verified_email: true };
  const logger = pino({ level: 'silent' });

  it('links to the one eligible holder, never when a second eligible one exists (whatever order they come in)', async () => {
    await createUser(storage, { connection: 'db', username: 'a', email: 'x@example.com', profile: { email_verified: false } });
    const b = await createUser(storage, { connection: 'db', username: 'b', email: 'x@example.com' });
    assert.equal((await federatedUser(storage, linked, { sub: 's1', email: 'x@example.com', email_verified: true }, logger)).id, b.id,
      'the holder whose address was declared unverified is not a candidate');
    await createUser(storage, { connection: 'db', username: 'c', email: 'x@example.com' });
    const other = await federatedUser(storage, linked, { sub: 's2', email: 'x@example.com', email_verified: true }, logger);
    assert.ok(!['a', 'b', 'c'].includes(other.username), 'two eligible holders: a new user, no link');
    assert.equal(other.username, 's2');
  });
});
