import type { Knex } from 'knex';

/**
 * A due callback is claimed by one deliverer before it is sent: `callback_claim_owner` names the claim and
 * `callback_claim_until` (an ISO-8601 UTC time on the database's clock) is when a crashed deliverer's claim expires.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('operations', (t) => {
    t.string('callback_claim_owner', 128);
    t.string('callback_claim_until', 32);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('operations', (t) => {
    t.dropColumn('callback_claim_owner');
    t.dropColumn('callback_claim_until');
  });
}
