import type { Knex } from 'knex';
import * as catalog from './20261122100000_catalog';
import * as lifecycle from './20261122100100_lifecycle';
import * as catalogProvenance from './20261202100000_catalog_provenance';
import * as callbackClaims from './20261202100100_callback_claims';
import * as spendCounters from './20261202100200_spend_counters';
import * as licenseAudit from './20261202110000_license_audit';
import * as manualOperations from './20261202120000_manual_operations';
import * as drift from './20261202130000_drift';
import * as licenseCosts from './20261202140000_license_costs';
import * as alerts from './20261202140100_alerts';
import * as consoleSessions from './20261202150000_console_sessions';
import * as leaseVersion from './20261202160000_lease_version';

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
  ['20261202100000_catalog_provenance', catalogProvenance],
  ['20261202100100_callback_claims', callbackClaims],
  ['20261202100200_spend_counters', spendCounters],
  ['20261202110000_license_audit', licenseAudit],
  ['20261202120000_manual_operations', manualOperations],
  ['20261202130000_drift', drift],
  ['20261202140000_license_costs', licenseCosts],
  ['20261202140100_alerts', alerts],
  ['20261202150000_console_sessions', consoleSessions],
  ['20261202160000_lease_version', leaseVersion],
];

export const migrationSource: Knex.MigrationSource<readonly [string, Migration]> = {
  getMigrations: async () => [...migrations],
  getMigrationName: ([name]) => name,
  getMigration: async ([, migration]) => migration,
};
