import type { Knex } from 'knex';

/** One hook's operation as the intake writes it: its service's line and place, and the payload as JSON. */
export interface HookOperationRow {
  id: string;
  event: string;
  serviceId: string;
  sequence: number;
  payloadJson: string;
}

const COLUMNS =
  '? as id, ? as event, ? as service_id, cast(? as integer) as sequence, ' +
  'cast(? as integer) as behind_in_batch, ? as payload, ? as created_at';
const MORE_VALUES = '?, ?, ?, cast(? as integer), cast(? as integer), ?, ?';

/**
 * Inserts hook operations (given in their services' order) in one statement and returns the rows. An operation is
 * `waiting` when an earlier one of its service is unsettled: one stored (judged by this statement, which sees what
 * other transactions committed before it began), or one earlier in `rows` (which the statement cannot see).
 */
export async function insertHookOperations(trx: Knex.Transaction, rows: HookOperationRow[], at: string) {
  const seen = new Set<string>();
  const bindings = rows.flatMap((row) => {
    const behindInBatch = seen.has(row.serviceId) ? 1 : 0;
    seen.add(row.serviceId);
    return [row.id, row.event, row.serviceId, row.sequence, behindInBatch, row.payloadJson, at];
  });
  const values = [`select ${COLUMNS}`, ...rows.slice(1).map(() => `select ${MORE_VALUES}`)].join(' union all ');
  const result = await trx.raw(
    `insert into operations (id, event, service_id, sequence, status, attempts, payload, created_at, updated_at)
     select v.id, v.event, v.service_id, v.sequence,
       case when v.behind_in_batch = 1 or exists (
         select 1 from operations p
         where p.service_id = v.service_id and p.sequence < v.sequence and p.status <> 'succeeded'
       ) then 'waiting' else 'queued' end,
       0, v.payload, v.created_at, v.created_at
     from (${values}) as v
     returning *`,
    bindings,
  );
  // pg answers with a result object, better-sqlite3 with the rows themselves.
  return (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Array<Record<string, unknown>>;
}
