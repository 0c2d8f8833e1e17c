import type { Knex } from 'knex';

/**
 * The daily cap on paid calls (`lifecycle.maxPaidCallsPerDay`): one counter per licensing server and UTC day, raised
 * by a conditional UPDATE in the transaction that commits a paid call's `intended` checkpoint.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('spend_counters', (t) => {
    t.string('licensing_server', 64).notNullable();
    /** The UTC day, `YYYY-MM-DD`. */
    t.string('day', 10).notNullable();
    /** Paid calls (orders and renewals) intended that day. */
    t.integer('paid_calls').notNullable().defaultTo(0);
    t.string('updated_at', 32).notNullable();
    t.primary(['licensing_server', 'day']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('spend_counters');
}
