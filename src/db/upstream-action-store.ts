import type { Knex } from 'knex';
import { fromJson, toJson } from './columns';

/** The kinds of upstream calls that change something (and may cost money). */
export type UpstreamActionKind =
  'order' | 'prolong' | 'change_ip' | 'rename' | 'regenerate_key' | 'suspend' | 'resume' | 'remove';

/** `intended`: committed before the call, outcome unknown until `done` or `failed` is written after it. */
export type UpstreamActionState = 'intended' | 'done' | 'failed';

export interface UpstreamActionRecord {
  id: string;
  operationId: string;
  licenseId: string | null;
  kind: UpstreamActionKind;
  reference: string;
  state: UpstreamActionState;
  request: Record<string, unknown>;
  response: Record<string, unknown> | null;
  createdAt: string;
  updatedAt: string;
}

export interface UpstreamActionStore {
  getByReference(reference: string, trx?: Knex): Promise<UpstreamActionRecord | null>;
  /** The operation's actions whose reference starts with `prefix`, oldest first. */
  listByPrefix(operationId: string, prefix: string): Promise<UpstreamActionRecord[]>;
  insertIntended(
    action: Omit<UpstreamActionRecord, 'state' | 'response' | 'createdAt' | 'updatedAt'>,
    now: Date,
    trx: Knex,
  ): Promise<void>;
  /** Marks an existing action intended again (a retry after a refusal). */
  reintend(reference: string, now: Date, trx: Knex): Promise<void>;
  settle(
    reference: string,
    state: 'done' | 'failed',
    response: Record<string, unknown> | null,
    now: Date,
    trx: Knex,
  ): Promise<void>;
  listByOperation(operationId: string): Promise<UpstreamActionRecord[]>;
  /** Every order action, for invariant checks and reports. */
  countOrders(filter?: { state?: UpstreamActionState }): Promise<number>;
}

interface Row {
  id: string;
  operation_id: string;
  license_id: string | null;
  kind: UpstreamActionKind;
  reference: string;
  state: UpstreamActionState;
  request: string;
  response: string | null;
  created_at: string;
  updated_at: string;
}

const TABLE = 'upstream_actions';

export class KnexUpstreamActionStore implements UpstreamActionStore {
  constructor(private readonly db: Knex) {}

  async getByReference(reference: string, trx: Knex = this.db): Promise<UpstreamActionRecord | null> {
    const row: Row | undefined = await trx(TABLE).where({ reference }).first();
    return row ? toRecord(row) : null;
  }

  async listByPrefix(operationId: string, prefix: string): Promise<UpstreamActionRecord[]> {
    // By operation first (indexed); the prefix only narrows that handful of rows.
    const rows: Row[] = await this.db(TABLE)
      .where({ operation_id: operationId })
      .where('reference', 'like', `${prefix}%`)
      .orderBy(['created_at', 'reference']);
    return rows.map(toRecord);
  }

  async insertIntended(
    action: Omit<UpstreamActionRecord, 'state' | 'response' | 'createdAt' | 'updatedAt'>,
    now: Date,
    trx: Knex,
  ) {
    const at = now.toISOString();
    await trx(TABLE).insert({
      id: action.id,
      operation_id: action.operationId,
      license_id: action.licenseId,
      kind: action.kind,
      reference: action.reference,
      state: 'intended',
      request: toJson(action.request),
      created_at: at,
      updated_at: at,
    });
  }

  async reintend(reference: string, now: Date, trx: Knex): Promise<void> {
    await trx(TABLE).where({ reference }).update({ state: 'intended', response: null, updated_at: now.toISOString() });
  }

  async settle(
    reference: string,
    state: 'done' | 'failed',
    response: Record<string, unknown> | null,
    now: Date,
    trx: Knex,
  ) {
    await trx(TABLE)
      .where({ reference })
      .update({ state, response: response ? toJson(response) : null, updated_at: now.toISOString() });
  }

  async listByOperation(operationId: string): Promise<UpstreamActionRecord[]> {
    const rows: Row[] = await this.db(TABLE).where({ operation_id: operationId }).orderBy(['created_at', 'reference']);
    return rows.map(toRecord);
  }

  async countOrders(filter: { state?: UpstreamActionState } = {}): Promise<number> {
    const query = this.db(TABLE).where({ kind: 'order' });
    if (filter.state) query.where({ state: filter.state });
    const [row] = await query.count({ n: '*' });
    return Number(row?.n ?? 0);
  }
}

function toRecord(row: Row): UpstreamActionRecord {
  return {
    id: row.id,
    operationId: row.operation_id,
    licenseId: row.license_id,
    kind: row.kind,
    reference: row.reference,
    state: row.state,
    request: fromJson<Record<string, unknown>>(row.request) ?? {},
    response: fromJson<Record<string, unknown>>(row.response),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
