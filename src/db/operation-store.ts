import type { Knex } from 'knex';
import type {
  OperationError,
  OperationEvent,
  OperationResult,
  OperationStatus,
  ServiceFacts,
} from '../domain/lifecycle';
import type { ManualRequest } from '../domain/manual-actions';
import { LeaseLostError } from '../errors';
import { fromJson, toJson } from './columns';
import { databaseTime } from './database';
import { insertHookOperations } from './operation-intake-rows';
import { hasUnsettledPredecessor, unsettledPredecessors, type Ordering } from './operation-lines';

export interface OperationRecord {
  id: string;
  event: OperationEvent;
  /** The service it belongs to; null for an unbound license's action and for a pool order. */
  serviceId: string | null;
  /** The license a person's action names (null for hooks, `service.provide` and pool orders). */
  licenseId: string | null;
  /**
   * Its place among the service's operations; 0 for an operation without a service (those of one license run in the
   * order they were made).
   */
  sequence: number;
  status: OperationStatus;
  attempts: number;
  /** The service as the hook described it. */
  payload: ServiceFacts;
  /** What a person asked for (a manual operation), else null. */
  request: ManualRequest | null;
  result: OperationResult | null;
  error: OperationError | null;
  leaseOwner: string | null;
  leaseUntil: Date | null;
  /** Raised by every write of a lease holder: a claim made on an older read of the operation does not win. */
  leaseVersion: number;
  notBefore: Date | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  /** Deliveries of this operation to the platform's callback URL tried so far. */
  callbackAttempts: number;
}

/** How an attempt ended: finished for good, or to be tried again (not before a time). */
export type AttemptOutcome =
  | { status: 'succeeded'; result: OperationResult }
  | { status: 'failed'; error: OperationError }
  | { status: 'queued' | 'waiting'; error: OperationError | null; notBefore: Date };

export { LeaseLostError };

/** A new operation: a hook's (service, sequence, payload) or a person's (`request`, maybe no service). */
export interface NewOperation {
  id: string;
  event: OperationEvent;
  serviceId: string | null;
  /** The service's next sequence number; 0 without a service. */
  sequence: number;
  payload: ServiceFacts;
  licenseId?: string | null;
  request?: ManualRequest | null;
}

export interface OperationStore {
  create(op: NewOperation, now: Date, trx: Knex.Transaction): Promise<OperationRecord>;
  /** Hooks' operations, in their services' order, in one statement: `create` for many, each with its service. */
  createForHooks(
    ops: Array<NewOperation & { serviceId: string }>,
    now: Date,
    trx: Knex.Transaction,
  ): Promise<OperationRecord[]>;
  get(id: string, trx?: Knex): Promise<OperationRecord | null>;
  /** Whether the service has an operation not yet succeeded (queued, running, waiting or failed). */
  hasUnsettled(serviceId: string, trx?: Knex): Promise<boolean>;
  list(filter: { status?: OperationStatus; serviceId?: string }, limit: number): Promise<OperationRecord[]>;
  /**
   * Compare-and-set to `running` with a lease: succeeds only for a queued or waiting operation whose time has come,
   * or a running one whose lease has passed (its worker died), and only when no earlier operation of the same
   * service (without a service: of the same license) is unsettled. Null when not claimable (a duplicate job, or not its turn).
   *
   * Leases (here and in `renewLease`, `assertLease`) are taken and judged on the DATABASE's clock, one
   * clock for every worker host: a host whose clock runs ahead can neither steal a live lease nor lose its own.
   * `now` (the host's time) only stamps `updated_at` and decides whether `not_before` has come.
   */
  claim(id: string, owner: string, leaseMs: number, now: Date): Promise<OperationRecord | null>;
  /**
   * The same compare-and-set, as a statement of the caller's transaction (an attempt's first commit), and only if no
   * lease holder has written since `seen` was read (its `leaseVersion` unchanged): what the attempt read before its
   * claim is still what the database holds. True when `owner` holds the lease once `trx` commits.
   */
  claimSeen(seen: OperationRecord, owner: string, leaseMs: number, now: Date, trx: Knex): Promise<boolean>;
  /** Extends the lease to `leaseMs` past the database's now; false when it was lost. */
  renewLease(id: string, owner: string, leaseMs: number): Promise<boolean>;
  /**
   * Throws `LeaseLostError` unless `owner` still holds the running operation by the database's clock (call inside
   * the write's transaction; `now` stamps `updated_at`).
   */
  assertLease(id: string, owner: string, now: Date, trx: Knex): Promise<void>;
  /** Records how the attempt ended, if the lease is still held. */
  finishAttempt(
    id: string,
    owner: string,
    outcome: AttemptOutcome,
    now: Date,
    callbackDue: boolean,
    trx: Knex.Transaction,
  ): Promise<void>;
  /** The head operation of each service that is ready to run: what the relay puts on the queue. */
  listRunnable(now: Date, limit: number): Promise<Array<{ id: string; attempts: number; updatedAt: string }>>;
  /** Puts a failed or waiting operation back to run now; null when its status does not allow it. */
  retry(id: string, now: Date, trx?: Knex): Promise<OperationRecord | null>;
  /** Whether an earlier operation of the same service (without a service: of the same license) is not yet settled. */
  isBehind(op: Ordering, trx?: Knex): Promise<boolean>;
}

interface Row {
  id: string;
  event: OperationEvent;
  service_id: string | null;
  license_id: string | null;
  request: string | null;
  sequence: number;
  status: OperationStatus;
  attempts: number;
  payload: string;
  result: string | null;
  error: string | null;
  lease_owner: string | null;
  lease_until: string | null;
  lease_version: number | string;
  not_before: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
  callback_attempts: number;
}

const TABLE = 'operations';

export class KnexOperationStore implements OperationStore {
  constructor(private readonly db: Knex) {}

  async create(op: NewOperation, now: Date, trx: Knex.Transaction) {
    const at = now.toISOString();
    const row = {
      id: op.id,
      event: op.event,
      service_id: op.serviceId,
      license_id: op.licenseId ?? null,
      request: op.request ? toJson(op.request) : null,
      sequence: op.sequence,
      status: (await this.isBehind({ ...op, createdAt: at }, trx)) ? 'waiting' : 'queued',
      attempts: 0,
      payload: toJson(op.payload),
      created_at: at,
      updated_at: at,
    };
    const [inserted]: Row[] = await trx(TABLE).insert(row, '*');
    return toRecord(inserted!);
  }

  async createForHooks(ops: Array<NewOperation & { serviceId: string }>, now: Date, trx: Knex.Transaction) {
    const rows = ops.map((op) => ({ ...op, payloadJson: toJson(op.payload) }));
    const inserted = new Map((await insertHookOperations(trx, rows, now.toISOString())).map((row) => [row.id, row]));
    return ops.map((op) => toRecord(inserted.get(op.id) as unknown as Row));
  }

  async get(id: string, trx: Knex = this.db): Promise<OperationRecord | null> {
    const row = await trx<Row>(TABLE).where({ id }).first();
    return row ? toRecord(row) : null;
  }

  async hasUnsettled(serviceId: string, trx: Knex = this.db): Promise<boolean> {
    const pending = await trx<Row>(TABLE)
      .where({ service_id: serviceId })
      .whereNot({ status: 'succeeded' })
      .first('id');
    return pending !== undefined;
  }

  async list(filter: { status?: OperationStatus; serviceId?: string }, limit: number): Promise<OperationRecord[]> {
    const query = this.db<Row>(TABLE)
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(limit);
    if (filter.status) query.where({ status: filter.status });
    if (filter.serviceId) query.where({ service_id: filter.serviceId });
    return (await query).map(toRecord);
  }

  async claim(id: string, owner: string, leaseMs: number, now: Date): Promise<OperationRecord | null> {
    const claimed: Row[] = await this.claimable(this.db, id, now).update(this.claimed(owner, leaseMs, now), '*');
    return claimed.length === 1 ? toRecord(claimed[0]!) : null;
  }

  async claimSeen(seen: OperationRecord, owner: string, leaseMs: number, now: Date, trx: Knex): Promise<boolean> {
    const changed = await this.claimable(trx, seen.id, now)
      .where({ lease_version: seen.leaseVersion })
      .update(this.claimed(owner, leaseMs, now));
    return changed === 1;
  }

  /** The operation, if it may be claimed now: its time has come (or its lease passed) and it is its service's turn. */
  private claimable(db: Knex, id: string, now: Date): Knex.QueryBuilder {
    const at = now.toISOString();
    return db(TABLE)
      .where({ id })
      .where((q) =>
        q
          .where((ready) =>
            ready
              .whereIn('status', ['queued', 'waiting'])
              .where((t) => t.whereNull('not_before').orWhere('not_before', '<=', at)),
          )
          .orWhere((stale) => stale.where('status', 'running').where('lease_until', '<', databaseTime(this.db))),
      )
      .whereNotExists(this.unsettledPredecessors());
  }

  private claimed(owner: string, leaseMs: number, now: Date) {
    return {
      status: 'running',
      lease_owner: owner,
      lease_until: databaseTime(this.db, leaseMs),
      attempts: this.db.raw('attempts + 1'),
      lease_version: this.db.raw('lease_version + 1'),
      updated_at: now.toISOString(),
    };
  }

  async renewLease(id: string, owner: string, leaseMs: number): Promise<boolean> {
    const changed = await this.db(TABLE)
      .where({ id, lease_owner: owner, status: 'running' })
      .update({ lease_until: databaseTime(this.db, leaseMs), lease_version: this.db.raw('lease_version + 1') });
    return changed === 1;
  }

  async assertLease(id: string, owner: string, now: Date, trx: Knex): Promise<void> {
    const changed = await heldLease(trx, id, owner).update({
      updated_at: now.toISOString(),
      lease_version: trx.raw('lease_version + 1'),
    });
    if (changed !== 1) throw new LeaseLostError(`operation ${id}: lease lost`);
  }

  async finishAttempt(
    id: string,
    owner: string,
    outcome: AttemptOutcome,
    now: Date,
    callbackDue: boolean,
    trx: Knex.Transaction,
  ) {
    const at = now.toISOString();
    const final = outcome.status === 'succeeded' || outcome.status === 'failed';
    // The lease is judged inside the write itself: one statement, and it locks the row as `assertLease` would.
    const changed = await heldLease(trx, id, owner).update({
      status: outcome.status,
      result: outcome.status === 'succeeded' ? toJson(outcome.result) : null,
      error: outcome.status === 'succeeded' ? null : outcome.error ? toJson(outcome.error) : null,
      not_before: 'notBefore' in outcome ? outcome.notBefore.toISOString() : null,
      lease_owner: null,
      lease_until: null,
      finished_at: final ? at : null,
      callback_state: final && callbackDue ? 'pending' : null,
      callback_next_at: final && callbackDue ? at : null,
      lease_version: trx.raw('lease_version + 1'),
      updated_at: at,
    });
    if (changed !== 1) throw new LeaseLostError(`operation ${id}: lease lost`);
  }

  async listRunnable(now: Date, limit: number) {
    const at = now.toISOString();
    return this.db(`${TABLE} as o`)
      .where((q) =>
        q
          .where((ready) =>
            ready
              .whereIn('o.status', ['queued', 'waiting'])
              .where((t) => t.whereNull('o.not_before').orWhere('o.not_before', '<=', at)),
          )
          .orWhere((stale) => stale.where('o.status', 'running').where('o.lease_until', '<', databaseTime(this.db))),
      )
      .whereNotExists(this.unsettledPredecessors('o'))
      .orderBy('o.created_at')
      .limit(limit)
      .select('o.id', 'o.attempts', 'o.updated_at as updatedAt');
  }

  async retry(id: string, now: Date, trx: Knex = this.db): Promise<OperationRecord | null> {
    const changed = await trx(TABLE).where({ id }).whereIn('status', ['failed', 'waiting']).update({
      status: 'queued',
      not_before: null,
      finished_at: null,
      callback_state: null,
      updated_at: now.toISOString(),
    });
    return changed === 1 ? this.get(id, trx) : null;
  }

  async isBehind(op: Ordering, trx: Knex = this.db): Promise<boolean> {
    return hasUnsettledPredecessor(trx, op);
  }

  private unsettledPredecessors(alias = TABLE) {
    return unsettledPredecessors(this.db, alias);
  }
}

function toRecord(row: Row): OperationRecord {
  return {
    id: row.id,
    event: row.event,
    serviceId: row.service_id,
    licenseId: row.license_id ?? null,
    sequence: Number(row.sequence),
    status: row.status,
    attempts: Number(row.attempts),
    payload: fromJson<ServiceFacts>(row.payload)!,
    request: fromJson<ManualRequest>(row.request ?? null),
    result: fromJson<OperationResult>(row.result),
    error: fromJson<OperationError>(row.error),
    leaseOwner: row.lease_owner,
    leaseUntil: row.lease_until ? new Date(row.lease_until) : null,
    leaseVersion: Number(row.lease_version ?? 0),
    notBefore: row.not_before ? new Date(row.not_before) : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
    callbackAttempts: Number(row.callback_attempts ?? 0),
  };
}

/** The operation's row while `owner` holds its lease (running, lease not passed by the database's clock). */
function heldLease(db: Knex, id: string, owner: string): Knex.QueryBuilder {
  return db(TABLE).where({ id, lease_owner: owner, status: 'running' }).where('lease_until', '>', databaseTime(db));
}
