import type { Knex } from 'knex';

/** The catalog tables whose rows say who manages them. */
const CATALOG_TABLES = ['licensing_servers', 'enumerations', 'tariff_plans', 'period_comparisons'] as const;

/**
 * Provenance of catalog entries: `config` (declared in the configuration file, which alone may change it) or `api`
 * (made through the admin API, never touched at start). Rows that exist already become `api`; the next start hands
 * the file's own entries back to the file.
 */
export async function up(knex: Knex): Promise<void> {
  for (const table of CATALOG_TABLES) {
    await knex.schema.alterTable(table, (t) => {
      t.string('managed_by', 16).notNullable().defaultTo('api');
    });
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of CATALOG_TABLES) {
    await knex.schema.alterTable(table, (t) => {
      t.dropColumn('managed_by');
    });
  }
}
