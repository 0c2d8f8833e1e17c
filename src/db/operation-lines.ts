import type { Knex } from 'knex';

const TABLE = 'operations';

/**
 * What places an operation in its line: its service and sequence, or (without a service) its license and when it
 * was made. An operation without a service and without a license (a pool order) stands alone.
 */
export interface Ordering {
  serviceId: string | null;
  sequence: number;
  licenseId?: string | null;
  createdAt?: string;
}

/** Whether an earlier operation of the same line is not yet settled (checked when an operation is made). */
export async function hasUnsettledPredecessor(db: Knex, op: Ordering): Promise<boolean> {
  const query = db(TABLE).whereNot({ status: 'succeeded' });
  if (op.serviceId !== null) query.where({ service_id: op.serviceId }).where('sequence', '<', op.sequence);
  else if (op.licenseId) {
    // Made in the same transaction as this check, an operation of the same license is earlier by definition.
    query.whereNull('service_id').where({ license_id: op.licenseId });
    if (op.createdAt) query.where('created_at', '<=', op.createdAt);
  } else return false;
  return (await query.first('id')) !== undefined;
}

/**
 * Earlier operations of the same line as the row `alias` that are not settled: they hold it back (a `whereNotExists`
 * subquery). A service's line is its sequence; an operation without a service waits for the earlier ones of its
 * license, by creation time, then id.
 */
export function unsettledPredecessors(db: Knex, alias: string) {
  return function (this: Knex.QueryBuilder) {
    this.select(db.raw('1'))
      .from(`${TABLE} as p`)
      .whereNot('p.status', 'succeeded')
      .where((line) =>
        line
          .where((service) =>
            service.whereRaw(`p.service_id = ${alias}.service_id`).whereRaw(`p.sequence < ${alias}.sequence`),
          )
          .orWhere((license) =>
            license
              .whereNull('p.service_id')
              .whereNull(`${alias}.service_id`)
              .whereRaw(`p.license_id = ${alias}.license_id`)
              .where((earlier) =>
                earlier
                  .whereRaw(`p.created_at < ${alias}.created_at`)
                  .orWhere((tie) => tie.whereRaw(`p.created_at = ${alias}.created_at`).whereRaw(`p.id < ${alias}.id`)),
              ),
          ),
      );
  };
}
