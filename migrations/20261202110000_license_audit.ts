import type { Knex } from 'knex';

/** What an old audit row's subject says about the license, service or operation it names. */
const SUBJECT_COLUMNS = [
  ['license', 'license_id'],
  ['service', 'service_id'],
  ['operation', 'operation_id'],
] as const;

/**
 * The audit trail's own columns for what a row touched (`license_id`, `service_id`, `operation_id`, each indexed
 * with `id` for newest-first paging), filled for old rows from their subject; and each license's `period` (as
 * ordered, `null` for licenses from before) and `source` (`order` or `adopted`).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_log', (t) => {
    t.string('license_id', 64);
    t.string('service_id', 128);
    t.string('operation_id', 64);
    t.index(['license_id', 'id'], 'audit_log_license_idx');
    t.index(['service_id', 'id'], 'audit_log_service_idx');
    t.index(['operation_id', 'id'], 'audit_log_operation_idx');
  });
  for (const [subjectType, column] of SUBJECT_COLUMNS) {
    await knex('audit_log')
      .where({ subject_type: subjectType })
      .update({ [column]: knex.ref('subject_id') });
  }
  await knex.schema.alterTable('licenses', (t) => {
    /** `1`, `12` … months, `lifetime` or `trial`: the period the license was ordered for. */
    t.string('period', 16);
    /** `order` (ordered by this service) or `adopted` (found upstream and taken into the pool). */
    t.string('source', 16).notNullable().defaultTo('order');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('licenses', (t) => {
    t.dropColumn('source');
    t.dropColumn('period');
  });
  await knex.schema.alterTable('audit_log', (t) => {
    t.dropIndex(['license_id', 'id'], 'audit_log_license_idx');
    t.dropIndex(['service_id', 'id'], 'audit_log_service_idx');
    t.dropIndex(['operation_id', 'id'], 'audit_log_operation_idx');
  });
  await knex.schema.alterTable('audit_log', (t) => {
    t.dropColumn('operation_id');
    t.dropColumn('service_id');
    t.dropColumn('license_id');
  });
}
