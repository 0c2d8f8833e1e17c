import type { Knex } from 'knex';

export interface HookEventRecord {
  eventId: string;
  event: string;
  bodySha256: string;
  operationId: string;
  receivedAt: string;
}

/** Remembers every accepted hook by `eventId`: the platform's retries find the operation the first one made. */
export interface HookEventStore {
  get(eventId: string, trx?: Knex): Promise<HookEventRecord | null>;
  /**
   * Inserts in one statement the records whose `eventId` is not known yet (a known one waits for the transaction
   * that wrote it); returns the event ids it inserted.
   */
  insertNew(records: HookEventRecord[], trx: Knex.Transaction): Promise<Set<string>>;
  /**
   * Deletes up to `limit` hook events whose operation succeeded before `finishedBefore` and is not the last operation
   * of its service; returns how many. The operation rows stay (see `pruneExpiredRecords` for why this is safe).
   */
  pruneProcessedBefore(finishedBefore: Date, limit: number): Promise<number>;
}

interface Row {
  event_id: string;
  event: string;
  body_sha256: string;
  operation_id: string;
  received_at: string;
}

export class KnexHookEventStore implements HookEventStore {
  constructor(private readonly db: Knex) {}

  async get(eventId: string, trx: Knex = this.db): Promise<HookEventRecord | null> {
    const row: Row | undefined = await trx('hook_events').where({ event_id: eventId }).first();
    return row
      ? {
          eventId: row.event_id,
          event: row.event,
          bodySha256: row.body_sha256,
          operationId: row.operation_id,
          receivedAt: row.received_at,
        }
      : null;
  }

  async pruneProcessedBefore(finishedBefore: Date, limit: number): Promise<number> {
    const db = this.db;
    const prunable = db('hook_events as h')
      .join('operations as o', 'o.id', 'h.operation_id')
      .where('o.status', 'succeeded')
      .where('o.finished_at', '<', finishedBefore.toISOString())
      .whereExists(function () {
        this.select(db.raw('1'))
          .from('operations as later')
          .whereRaw('later.service_id = o.service_id')
          .whereRaw('later.sequence > o.sequence');
      })
      .orderBy('o.finished_at')
      .limit(limit)
      .select('h.event_id');
    return db('hook_events').whereIn('event_id', prunable).delete();
  }

  async insertNew(records: HookEventRecord[], trx: Knex.Transaction): Promise<Set<string>> {
    // In one order in every process, so two groups holding the same event ids lock them without a deadlock.
    const rows = records.map(toRow).sort((a, b) => (a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0));
    const inserted: Array<Pick<Row, 'event_id'>> = await trx('hook_events')
      .insert(rows)
      .onConflict('event_id')
      .ignore()
      .returning('event_id');
    return new Set(inserted.map((row) => row.event_id));
  }
}

function toRow(record: HookEventRecord): Row {
  return {
    event_id: record.eventId,
    event: record.event,
    body_sha256: record.bodySha256,
    operation_id: record.operationId,
    received_at: record.receivedAt,
  };
}
