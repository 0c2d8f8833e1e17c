import type { Knex } from 'knex';

/**
 * The lifecycle: services as the platform last described them, licenses (bound, pooled, reserved, gone), hook
 * events (idempotency), operations (ordered per service), upstream actions (checkpoints around paid or
 * state-changing calls) and an audit trail. Times are ISO-8601 UTC strings of fixed width, so they compare as text.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('services', (t) => {
    t.string('id', 128).primary();
    t.string('name', 255);
    t.string('ip', 64);
    t.string('tariff_plan', 64);
    t.string('period', 16);
    t.string('paid_until', 32);
    t.string('control_panel', 64);
    /** `active`, `suspended` or `closed`. */
    t.string('status', 16).notNullable();
    /** The last operation sequence number given to this service. */
    t.integer('last_sequence').notNullable().defaultTo(0);
    t.string('created_at', 32).notNullable();
    t.string('updated_at', 32).notNullable();
  });

  await knex.schema.createTable('licenses', (t) => {
    t.string('id', 64).primary();
    t.string('licensing_server', 64).notNullable().references('key').inTable('licensing_servers').onDelete('RESTRICT');
    t.string('upstream_id', 64).notNullable();
    t.string('price_list', 32).notNullable();
    t.string('ip', 64);
    t.string('name', 255);
    /** The upstream status as last read: unknown, ordered, active, suspended, deleted, processing. */
    t.string('status', 16).notNullable();
    t.string('paid_until', 32);
    /** AES-256-GCM envelope of the activation key. */
    t.text('activation_key_encrypted');
    /** Ours: `bound` to a service, `pooled` (free, paid), `reserved` by an operation, or `released` (gone upstream). */
    t.string('state', 16).notNullable();
    /** Unique: one service never holds two licenses, and a license is never held by two services. */
    t.string('service_id', 128).unique();
    t.string('operation_id', 64);
    t.string('order_reference', 128);
    t.string('ip_changed_at', 32);
    t.string('key_regenerated_at', 32);
    t.string('pooled_at', 32);
    t.string('created_at', 32).notNullable();
    t.string('updated_at', 32).notNullable();
    t.unique(['licensing_server', 'upstream_id']);
    // Ends with id: the pool claim orders by (paid_until, id), and many licenses share an end-of-day expiry.
    t.index(['state', 'licensing_server', 'price_list', 'paid_until', 'id'], 'licenses_pool_idx');
    t.index(['ip']);
  });

  await knex.schema.createTable('operations', (t) => {
    t.string('id', 64).primary();
    t.string('event', 16).notNullable();
    t.string('service_id', 128).notNullable();
    t.integer('sequence').notNullable();
    /** queued, running, waiting, succeeded, failed. */
    t.string('status', 16).notNullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.text('payload').notNullable();
    t.text('result');
    t.text('error');
    t.string('lease_owner', 128);
    t.string('lease_until', 32);
    /** Not to be tried again before this time (back-off, cooldowns). */
    t.string('not_before', 32);
    t.string('created_at', 32).notNullable();
    t.string('updated_at', 32).notNullable();
    t.string('finished_at', 32);
    /** Delivery of the finished operation to `platform.callbackUrl`: null (none due), `pending` or `delivered`. */
    t.string('callback_state', 16);
    t.integer('callback_attempts').notNullable().defaultTo(0);
    t.string('callback_next_at', 32);
    t.unique(['service_id', 'sequence']);
    t.index(['callback_state', 'callback_next_at']);
    t.index(['status', 'service_id']);
    t.index(['created_at']);
  });

  await knex.schema.createTable('hook_events', (t) => {
    t.string('event_id', 128).primary();
    t.string('event', 16).notNullable();
    /** SHA-256 of the canonical body: the same eventId with another body is a conflict. */
    t.string('body_sha256', 64).notNullable();
    t.string('operation_id', 64).notNullable().references('id').inTable('operations');
    t.string('received_at', 32).notNullable();
  });

  await knex.schema.createTable('upstream_actions', (t) => {
    t.string('id', 64).primary();
    t.string('operation_id', 64).notNullable().references('id').inTable('operations');
    t.string('license_id', 64);
    /** order, prolong, change_ip, rename, regenerate_key, suspend, resume, remove. */
    t.string('kind', 32).notNullable();
    /** The reference the call carries upstream (for orders: licname/remoteid). */
    t.string('reference', 128).notNullable().unique();
    /** intended, done, failed. */
    t.string('state', 16).notNullable();
    t.text('request').notNullable();
    t.text('response');
    t.string('created_at', 32).notNullable();
    t.string('updated_at', 32).notNullable();
    t.index(['operation_id', 'state']);
  });

  await knex.schema.createTable('audit_log', (t) => {
    t.increments('id').primary();
    t.string('at', 32).notNullable();
    t.string('actor', 64).notNullable();
    t.string('action', 64).notNullable();
    t.string('subject_type', 32).notNullable();
    t.string('subject_id', 128).notNullable();
    t.text('details');
    t.index(['subject_type', 'subject_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('audit_log');
  await knex.schema.dropTable('upstream_actions');
  await knex.schema.dropTable('hook_events');
  await knex.schema.dropTable('operations');
  await knex.schema.dropTable('licenses');
  await knex.schema.dropTable('services');
}
