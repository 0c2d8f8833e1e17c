import type { Knex } from 'knex';

/**
 * Alerts (SPEC.md "Alerts and escalation"): at most one open alert per kind and subject (`subject_key`, a canonical
 * string of the subject; the partial unique index holds it across worker processes), and every notification of an
 * alert, kept until each channel has taken it.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('alerts', (t) => {
    t.string('id', 64).primary();
    t.string('kind', 32).notNullable();
    /** `info`, `warning` or `critical`. */
    t.string('severity', 16).notNullable();
    /** JSON of the subject (`{"licensingServer"}`, `{"licenseId","serviceId"}` …). */
    t.text('subject').notNullable();
    t.string('subject_key', 255).notNullable();
    t.text('message').notNullable();
    /** `open` or `resolved`. */
    t.string('state', 16).notNullable();
    t.string('opened_at', 32).notNullable();
    t.integer('escalations').notNullable().defaultTo(0);
    t.string('notified_at', 32);
    t.string('resolved_at', 32);
    t.string('updated_at', 32).notNullable();
    t.index(['state', 'kind'], 'alerts_state_kind_idx');
  });
  await knex.raw("CREATE UNIQUE INDEX alerts_one_open_idx ON alerts (kind, subject_key) WHERE state = 'open'");
  await knex.schema.createTable('alert_notifications', (t) => {
    t.string('id', 64).primary();
    t.string('alert_id', 64).notNullable();
    /** `webhook` or `email`. */
    t.string('channel', 16).notNullable();
    /** `opened`, `escalated` or `resolved`. */
    t.string('event', 16).notNullable();
    /** JSON: the alert as it was when this notification was made (what the message says). */
    t.text('payload').notNullable();
    /** `pending` or `delivered`. */
    t.string('state', 16).notNullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.string('next_at', 32).notNullable();
    t.string('claim_owner', 128);
    /** On the database's clock, like the other leases. */
    t.string('claim_until', 32);
    t.text('last_error');
    t.string('created_at', 32).notNullable();
    t.string('delivered_at', 32);
    t.index(['state', 'next_at'], 'alert_notifications_due_idx');
    t.index(['alert_id'], 'alert_notifications_alert_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('alert_notifications');
  await knex.schema.dropTable('alerts');
}
