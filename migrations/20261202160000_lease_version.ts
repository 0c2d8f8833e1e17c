import type { Knex } from 'knex';

/**
 * `operations.lease_version`: raised by every write of a lease holder (the claim, a renewal, a lease-checked write,
 * the attempt's end). An attempt reads its operation before it claims it; its claim compares the version it read, so
 * a claim made on reads that a previous holder's later write made stale does not win.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('operations', (t) => {
    t.bigInteger('lease_version').notNullable().defaultTo(0);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('operations', (t) => {
    t.dropColumn('lease_version');
  });
}
