import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { migrationSource } from '../../migrations';
import { migrateToLatest, rollbackAll } from '../../src/db/database';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

const DOMAIN_TABLES = [
  'alert_notifications',
  'alerts',
  'audit_log',
  'console_sessions',
  'drift_items',
  'enumeration_values',
  'enumerations',
  'hook_events',
  'license_costs',
  'licenses',
  'licensing_servers',
  'operations',
  'period_comparisons',
  'reconcile_runs',
  'services',
  'spend_counters',
  'tariff_plans',
  'upstream_actions',
];

/** Tables the backend or knex keep for themselves. */
const BOOKKEEPING_TABLES = new Set(['knex_migrations', 'knex_migrations_lock', 'sqlite_sequence']);

async function userTables(db: Knex, kind: TestDatabase['kind']): Promise<string[]> {
  const rows: Array<{ name: string }> =
    kind === 'sqlite'
      ? await db('sqlite_master').select('name').where('type', 'table')
      : await db('information_schema.tables')
          .select({ name: 'table_name' })
          .whereRaw('table_schema = current_schema()')
          .andWhere('table_type', 'BASE TABLE');
  return rows
    .map((row) => row.name)
    .filter((name) => !BOOKKEEPING_TABLES.has(name))
    .sort();
}

describe('migrations', function () {
  let testDb: TestDatabase;

  before(async function () {
    testDb = await createTestDatabase({ migrate: false });
  });

  after(async function () {
    await testDb?.destroy();
  });

  it('run up, all the way down, and up again', async function () {
    const { db, kind } = testDb;
    const expectedNames = (await migrationSource.getMigrations([])).map((m) => migrationSource.getMigrationName(m));

    assert.deepEqual(await migrateToLatest(db), expectedNames, 'first run applies every migration in order');
    assert.deepEqual(await userTables(db, kind), DOMAIN_TABLES);
    assert.deepEqual(await migrateToLatest(db), [], 'a second run applies nothing');

    await rollbackAll(db);
    assert.deepEqual(await userTables(db, kind), [], 'rollback leaves no domain tables');

    assert.deepEqual(await migrateToLatest(db), expectedNames, 'up again after a full rollback');
    assert.deepEqual(await userTables(db, kind), DOMAIN_TABLES);
  });
});
