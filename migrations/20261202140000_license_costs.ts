import type { Knex } from 'knex';

/**
 * What the account's money did (CONTRACT.md "Alerts, metrics, reports"): one row per order, renewal and pool reuse,
 * priced with the licensing server's `prices` of that moment. `amount` is null when no price was known (the report
 * counts those as `unpriced`); for a `reuse` it is the cost the reuse avoided (the price of the resolved period).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('licensing_servers', (t) => {
    /** JSON `{"currency", "<priceList>": {"<period>": amount}}`, or null. */
    t.text('prices');
  });
  await knex.schema.createTable('license_costs', (t) => {
    t.string('id', 64).primary();
    /** `order`, `renewal` or `reuse`. */
    t.string('kind', 16).notNullable();
    t.string('license_id', 64).notNullable();
    t.string('licensing_server', 64).notNullable();
    t.string('price_list', 32).notNullable();
    /** `1`, `3`, `6`, `12`, `24`, `36`, `lifetime` or `trial`. */
    t.string('period', 16).notNullable();
    t.decimal('amount', 14, 2);
    t.string('currency', 8);
    t.string('service_id', 128);
    /** The service's tariff plan when it happened (null for a pool order). */
    t.string('tariff_plan', 64);
    t.string('operation_id', 64);
    t.string('at', 32).notNullable();
    t.index(['at'], 'license_costs_at_idx');
    t.index(['licensing_server', 'price_list'], 'license_costs_price_list_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('license_costs');
  await knex.schema.alterTable('licensing_servers', (t) => t.dropColumn('prices'));
}
