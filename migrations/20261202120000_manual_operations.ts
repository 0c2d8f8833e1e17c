import type { Knex } from 'knex';

/**
 * Operations a person asks for (licenses by hand, pool orders): `service_id` may be null (an unbound license's
 * action, a pool order), `license_id` names the license an operation acts on (an unbound license's operations run
 * one at a time, in the order they were made), and `request` keeps what the person asked for (JSON). Events grow
 * longer (`license.regenerate-key`).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('operations', (t) => {
    t.string('service_id', 128).nullable().alter();
    t.string('event', 64).notNullable().alter();
    t.string('license_id', 64);
    t.text('request');
    t.index(['license_id', 'status'], 'operations_license_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  // A person's operations (with or without a service) do not fit the old table: they go.
  const manual = () =>
    knex('operations')
      .where((q) => q.whereNull('service_id').orWhereNotNull('request'))
      .select('id');
  await knex('upstream_actions').whereIn('operation_id', manual()).delete();
  await knex('hook_events').whereIn('operation_id', manual()).delete();
  await knex('operations').whereIn('id', manual()).delete();
  await knex.schema.alterTable('operations', (t) => {
    t.dropIndex(['license_id', 'status'], 'operations_license_idx');
    t.dropColumn('request');
    t.dropColumn('license_id');
  });
  await knex.schema.alterTable('operations', (t) => {
    t.string('service_id', 128).notNullable().alter();
    t.string('event', 16).notNullable().alter();
  });
}
