import type { Knex } from 'knex';

/** The provider's catalog: licensing servers, enumerations and their values, tariff plans, period comparisons. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('licensing_servers', (t) => {
    t.string('key', 64).primary();
    t.string('module', 64).notNullable();
    t.text('url').notNullable();
    t.string('username', 255).notNullable();
    /** AES-256-GCM envelope of the password, see src/security/secret-box.ts. */
    t.text('password_encrypted').notNullable();
    t.text('settings').notNullable();
    t.string('created_at', 32).notNullable();
    t.string('updated_at', 32).notNullable();
  });

  await knex.schema.createTable('enumerations', (t) => {
    t.string('key', 64).primary();
    t.string('name', 255).notNullable();
    t.string('created_at', 32).notNullable();
    t.string('updated_at', 32).notNullable();
  });

  await knex.schema.createTable('enumeration_values', (t) => {
    t.string('enumeration_key', 64).notNullable().references('key').inTable('enumerations').onDelete('CASCADE');
    t.string('key', 64).notNullable();
    t.string('name', 255).notNullable();
    /** A price-list id (digits) or `nopanel`. */
    t.string('internal_name', 64).notNullable();
    /** JSON list of orderable periods, or null for the default. */
    t.text('periods');
    t.integer('position').notNullable();
    t.primary(['enumeration_key', 'key']);
  });

  await knex.schema.createTable('tariff_plans', (t) => {
    t.string('key', 64).primary();
    t.string('name', 255).notNullable();
    t.string('product_type', 64).notNullable();
    t.string('licensing_server', 64).notNullable().references('key').inTable('licensing_servers').onDelete('RESTRICT');
    t.string('enumeration', 64).notNullable().references('key').inTable('enumerations').onDelete('RESTRICT');
    t.string('default_value', 64).notNullable();
    t.string('created_at', 32).notNullable();
    t.string('updated_at', 32).notNullable();
  });

  await knex.schema.createTable('period_comparisons', (t) => {
    t.string('id', 64).primary();
    t.string('licensing_server', 64).notNullable().references('key').inTable('licensing_servers').onDelete('RESTRICT');
    t.string('source_period', 16).notNullable();
    t.string('target_period', 16).notNullable();
    t.string('tariff_plan', 64).references('key').inTable('tariff_plans').onDelete('RESTRICT');
    t.string('product_type', 64);
    /** `plan:<key>`, `type:<productType>` or `*`: one rule per scope and source. */
    t.string('scope_key', 140).notNullable();
    t.string('created_at', 32).notNullable();
    t.unique(['licensing_server', 'scope_key', 'source_period']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('period_comparisons');
  await knex.schema.dropTable('tariff_plans');
  await knex.schema.dropTable('enumeration_values');
  await knex.schema.dropTable('enumerations');
  await knex.schema.dropTable('licensing_servers');
}
