import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import type { Knex } from 'knex';
import { createDatabase, isDatabaseUnavailable } from '../../src/db/database';
import { testDatabaseKind } from '../helpers/database';

/**
 * Two processes on one SQLite file (an API process beside worker processes): a transaction that reads before it
 * writes must not fail because the other process wrote in between. The "other process" is a second connection with
 * no busy timeout, so that it reports at once what it would otherwise wait for.
 */
describe('SQLite transactions shared with another process', () => {
  let dir: string;
  let db: Knex;
  let other: Sqlite.Database;

  before(function () {
    if (testDatabaseKind() !== 'sqlite') this.skip();
  });

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plm-sqlite-trx-'));
    const file = path.join(dir, 'shared.sqlite');
    db = createDatabase(`sqlite:${file}`);
    await db.schema.createTable('items', (table) => table.integer('n'));
    other = new Sqlite(file);
    other.pragma('busy_timeout = 0');
  });

  afterEach(async () => {
    other.close();
    await db.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a transaction that reads first still commits its write; the other writer waits for it', async () => {
    let otherWrite: unknown = 'not tried';
    await db.transaction(async (trx) => {
      await trx('items').select('n');
      try {
        other.prepare('INSERT INTO items (n) VALUES (1)').run();
        otherWrite = 'written';
      } catch (error) {
        otherWrite = error;
      }
      await trx('items').insert({ n: 2 });
    });
    assert.ok(otherWrite instanceof Error, `the other connection wrote inside our transaction: ${String(otherWrite)}`);
    assert.equal((otherWrite as { code?: string }).code, 'SQLITE_BUSY');
    assert.ok(isDatabaseUnavailable(otherWrite), 'a busy database counts as unavailable (retried), not as a bug');
    other.prepare('INSERT INTO items (n) VALUES (1)').run();
    const rows = await db('items').orderBy('n').pluck('n');
    assert.deepEqual(rows, [1, 2]);
  });
});
