import type { Knex } from 'knex';

/**
 * Reconciliation (CONTRACT.md "Reconciliation and adoption"): `reconcile_runs` keeps each run of a licensing server
 * (requested, running, succeeded or failed with its error: the per-server last error and time alerts read), and
 * `drift_items` the differences the last successful run of each licensing server found.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('reconcile_runs', (t) => {
    t.string('id', 64).primary();
    t.string('licensing_server', 64).notNullable();
    /** `queued`, `running`, `succeeded`, `failed`. */
    t.string('status', 16).notNullable();
    /** A token's name, or `scheduler`. */
    t.string('requested_by', 64).notNullable();
    t.string('error_code', 64);
    t.text('error_message');
    t.string('created_at', 32).notNullable();
    t.string('finished_at', 32);
    t.index(['licensing_server', 'status', 'finished_at'], 'reconcile_runs_server_idx');
  });
  await knex.schema.createTable('drift_items', (t) => {
    t.string('id', 64).primary();
    t.string('licensing_server', 64).notNullable();
    /** `unknown_upstream`, `missing_upstream` or `mismatch`. */
    t.string('kind', 24).notNullable();
    t.string('upstream_id', 128);
    t.string('license_id', 64);
    t.string('service_id', 128);
    /** For a `mismatch`: `ip`, `priceList`, `paidUntil` or `status`. */
    t.string('field', 24);
    /** JSON: what the service holds, and what the upstream says. */
    t.text('local');
    t.text('upstream');
    t.string('detected_at', 32).notNullable();
    t.string('run_id', 64).notNullable();
    t.index(['licensing_server', 'kind'], 'drift_items_server_kind_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('drift_items');
  await knex.schema.dropTable('reconcile_runs');
}
