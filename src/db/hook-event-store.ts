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
  /** Throws a unique violation when the `eventId` is already known. */
  insert(trx: Knex.Transaction, record: HookEventRecord): Promise<void>;
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

  async insert(trx: Knex.Transaction, record: HookEventRecord): Promise<void> {
    await trx('hook_events').insert({
      event_id: record.eventId,
      event: record.event,
      body_sha256: record.bodySha256,
      operation_id: record.operationId,
      received_at: record.receivedAt,
    });
  }
}
