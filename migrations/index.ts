import type { Knex } from 'knex';
import * as catalog from './20261122100000_catalog';
import * as lifecycle from './20261122100100_lifecycle';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/**
 * Every migration, in order. Named without a file extension so that a database migrated under tsx (`.ts`) keeps
 * working from compiled `.js` (knex records names). A shipped migration is never edited: add a new one here.
 */
const migrations: ReadonlyArray<readonly [string, Migration]> = [
  ['20261122100000_catalog', catalog],
  ['20261122100100_lifecycle', lifecycle],
];

export const migrationSource: Knex.MigrationSource<readonly [string, Migration]> = {
  getMigrations: async () => [...migrations],
  getMigrationName: ([name]) => name,
  getMigration: async ([, migration]) => migration,
};
