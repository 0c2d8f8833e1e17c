import type { Knex } from 'knex';
import type { ServiceStatus } from '../domain/lifecycle';
import { TRIAL_PERIOD, type Period } from '../domain/period';
import { fromDbTime, periodFromDb, periodToDb } from './columns';

export interface ServiceRecord {
  id: string;
  name: string | null;
  ip: string | null;
  tariffPlan: string | null;
  period: Period | null;
  paidUntil: Date | null;
  controlPanel: string | null;
  status: ServiceStatus;
  lastSequence: number;
  createdAt: string;
  updatedAt: string;
}

export type ServicePatch = Partial<
  Pick<ServiceRecord, 'name' | 'ip' | 'tariffPlan' | 'period' | 'paidUntil' | 'controlPanel' | 'status'>
>;

export interface ServiceStore {
  /** Creates the row (status `pending`) if the platform never named this service before, and gives out the next sequence number. */
  nextSequence(serviceId: string, now: Date, trx: Knex.Transaction): Promise<number>;
  /**
   * `nextSequence` for many services in one statement: each service's counter moves on by its count, and the map
   * holds the last number given out (a service counted `k` times owns the `k` numbers up to it).
   */
  takeSequences(counts: ReadonlyMap<string, number>, now: Date, trx: Knex.Transaction): Promise<Map<string, number>>;
  get(serviceId: string, trx?: Knex): Promise<ServiceRecord | null>;
  update(serviceId: string, patch: ServicePatch, now: Date, trx?: Knex): Promise<void>;
  /** Active services whose license (bound, not a trial) is paid until before `before` while the service is paid further. */
  listDueForRenewal(before: Date, limit: number): Promise<string[]>;
  /** Up to `limit` ids of services on the tariff plan that are not closed (the plan may not be deleted). */
  listOpenOnPlan(tariffPlan: string, limit: number): Promise<string[]>;
}

interface Row {
  id: string;
  name: string | null;
  ip: string | null;
  tariff_plan: string | null;
  period: string | null;
  paid_until: string | null;
  control_panel: string | null;
  status: ServiceStatus;
  last_sequence: number;
  created_at: string;
  updated_at: string;
}

export class KnexServiceStore implements ServiceStore {
  constructor(private readonly db: Knex) {}

  async nextSequence(serviceId: string, now: Date, trx: Knex.Transaction): Promise<number> {
    return (await this.takeSequences(new Map([[serviceId, 1]]), now, trx)).get(serviceId)!;
  }

  async takeSequences(counts: ReadonlyMap<string, number>, now: Date, trx: Knex.Transaction) {
    const at = now.toISOString();
    const rows = [...counts].map(([id, count]) => ({
      id,
      status: 'pending',
      last_sequence: count,
      created_at: at,
      updated_at: at,
    }));
    // A new service starts at its count; a known one adds it. The row lock this takes keeps numbers unique.
    const taken: Array<Pick<Row, 'id' | 'last_sequence'>> = await trx('services')
      .insert(rows)
      .onConflict('id')
      .merge({ last_sequence: trx.raw('services.last_sequence + excluded.last_sequence') })
      .returning(['id', 'last_sequence']);
    return new Map(taken.map((row) => [row.id, Number(row.last_sequence)]));
  }

  async get(serviceId: string, trx: Knex = this.db): Promise<ServiceRecord | null> {
    const row = await trx<Row>('services').where({ id: serviceId }).first();
    return row ? toRecord(row) : null;
  }

  async update(serviceId: string, patch: ServicePatch, now: Date, trx: Knex = this.db): Promise<void> {
    const row: Partial<Row> = { updated_at: now.toISOString() };
    if (patch.name !== undefined) row.name = patch.name;
    if (patch.ip !== undefined) row.ip = patch.ip;
    if (patch.tariffPlan !== undefined) row.tariff_plan = patch.tariffPlan;
    if (patch.period !== undefined) row.period = patch.period === null ? null : periodToDb(patch.period);
    if (patch.paidUntil !== undefined) row.paid_until = patch.paidUntil?.toISOString() ?? null;
    if (patch.controlPanel !== undefined) row.control_panel = patch.controlPanel;
    if (patch.status !== undefined) row.status = patch.status;
    await trx('services').where({ id: serviceId }).update(row);
  }

  async listDueForRenewal(before: Date, limit: number): Promise<string[]> {
    const rows = await this.db('services as s')
      .join('licenses as l', 'l.service_id', 's.id')
      .where('s.status', 'active')
      .where('l.state', 'bound')
      // A trial is never renewed (SPEC.md "Trials").
      .where((q) => q.whereNull('l.period').orWhereNot('l.period', TRIAL_PERIOD))
      .where('l.paid_until', '<', before.toISOString())
      .whereRaw('s.paid_until > l.paid_until')
      // A service whose operations are held up is skipped here, so it cannot crowd out the others every sweep.
      .whereNotExists((q) =>
        q
          .select(this.db.raw('1'))
          .from('operations as o')
          .whereRaw('o.service_id = s.id')
          .whereNot('o.status', 'succeeded'),
      )
      .orderBy('l.paid_until')
      .limit(limit)
      .select('s.id');
    return rows.map((r: { id: string }) => r.id);
  }

  async listOpenOnPlan(tariffPlan: string, limit: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.db('services')
      .where({ tariff_plan: tariffPlan })
      .whereNot({ status: 'closed' })
      .orderBy('id')
      .limit(limit)
      .select('id');
    return rows.map((r) => r.id);
  }
}

function toRecord(row: Row): ServiceRecord {
  return {
    id: row.id,
    name: row.name,
    ip: row.ip,
    tariffPlan: row.tariff_plan,
    period: row.period === null ? null : periodFromDb(row.period),
    paidUntil: fromDbTime(row.paid_until),
    controlPanel: row.control_panel,
    status: row.status,
    lastSequence: Number(row.last_sequence),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
