import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Kysely, SqliteDialect } from 'kysely';
import { Sqlite } from '../sqlite-driver.ts';
import type { Database } from '../schema.ts';
import { compiledOnce } from './compiled-once.ts';

describe('compiledOnce', () => {
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: new Sqlite(':memory:') }) });

  it('runs the SQL built once with each call\'s arguments, constants kept, in the builder\'s order', async () => {
    await db.schema.createTable('settings').addColumn('key', 'text', (c) => c.primaryKey()).addColumn('value', 'text').execute();
    await db.insertInto('settings').values([{ key: 'a', value: '1' }, { key: 'b', value: '2' }, { key: 'c', value: '1' }]).execute();
    let builds = 0;
    const find = compiledOnce((d, value: string, notKey: string) => {
      builds++;
      return d.selectFrom('settings').select('key').where('key', '!=', notKey).where('value', '=', value).where('key', '<', 'z').orderBy('key');
    });
    assert.deepEqual((await find(db, 'sqlite', '1', 'a')).rows, [{ key: 'c' }]);
    assert.deepEqual((await find(db, 'sqlite', '1', 'c')).rows, [{ key: 'a' }]);
    assert.deepEqual((await find(db, 'sqlite', '2', 'a')).rows, [{ key: 'b' }]);
    assert.equal(builds, 1);
  });

  it('refuses a builder that does not use each argument once as a value', () => {
    const unused = compiledOnce((d, _value: string) => d.selectFrom('settings').select('key'));
    assert.throws(() => unused(db, 'sqlite', 'x'), /each argument must be one parameter/);
    const twice = compiledOnce((d, value: string) => d.selectFrom('settings').select('key').where('key', '=', value).where('value', '=', value));
    assert.throws(() => twice(db, 'sqlite', 'x'), /each argument must be one parameter/);
  });
});
