import type { Knex } from 'knex';
import type { LicenseState } from '../domain/lifecycle';
import type { PoolEligibility } from '../domain/pool-eligibility';
import { KnexLicenseMoves, whereEligible } from './license-moves';
import { licensePeriodToDb, type LicensePeriod, type LicenseRecord, type LicenseRow } from './license-rows';

export { activationKeyLocation } from './license-rows';
export type { LicensePeriod, LicenseRecord, LicenseSource, UpstreamFacts } from './license-rows';
export type {
  AdoptedLicense,
  LicenseMoveContext,
  OperationMoveContext,
  OrderedLicense,
  PoolClaim,
  PoolReturn,
  Renewal,
} from './license-moves';

export interface LicenseFilter {
  /** Ours or the upstream's id. */
  id?: string;
  status?: string;
  state?: LicenseState;
  ip?: string;
  priceList?: string;
  period?: LicensePeriod;
  name?: string;
  serviceId?: string;
  pooled?: boolean;
  expiresBefore?: Date;
  expiresAfter?: Date;
  licensingServer?: string;
}

export interface PoolSummaryRow {
  licensingServer: string;
  priceList: string;
  pooled: number;
  soonestExpiry: string | null;
}

/** The licenses' reads; every write is a named move (`KnexLicenseMoves`). */
export type LicenseStore = KnexLicenseStore;

/** The license store: the moves of `license-moves.ts` plus the reads. */
export class KnexLicenseStore extends KnexLicenseMoves {
  async findByService(serviceId: string, trx: Knex = this.db): Promise<LicenseRecord | null> {
    return this.one(trx('licenses').where({ service_id: serviceId }));
  }

  async findByUpstream(
    licensingServer: string,
    upstreamId: string,
    trx: Knex = this.db,
  ): Promise<LicenseRecord | null> {
    return this.one(trx('licenses').where({ licensing_server: licensingServer, upstream_id: upstreamId }));
  }

  /** The license an operation holds reserved (claimed from the pool, or ordered and not yet bound). */
  async findReservedBy(operationId: string, trx: Knex = this.db): Promise<LicenseRecord | null> {
    return this.one(trx('licenses').where({ operation_id: operationId, state: 'reserved' }).orderBy('created_at'));
  }

  /** Licenses of a licensing server that still count as ours (anything but released): it may not be deleted. */
  async countHeldAt(licensingServer: string): Promise<number> {
    const rows = await this.db('licenses')
      .where({ licensing_server: licensingServer })
      .whereNot({ state: 'released' })
      .count<Array<{ n: number | string }>>({ n: '*' });
    return Number(rows[0]?.n ?? 0);
  }

  async list(filter: LicenseFilter, page: { limit: number; after?: string }): Promise<LicenseRecord[]> {
    const query = this.db('licenses').orderBy('id').limit(page.limit);
    if (page.after) query.where('id', '>', page.after);
    if (filter.id) query.where((q) => q.where({ id: filter.id }).orWhere({ upstream_id: filter.id }));
    if (filter.status) query.where({ status: filter.status });
    if (filter.state) query.where({ state: filter.state });
    if (filter.ip) query.where({ ip: filter.ip });
    if (filter.priceList) query.where({ price_list: filter.priceList });
    if (filter.period !== undefined) query.where({ period: licensePeriodToDb(filter.period) });
    if (filter.name)
      query.whereRaw("name LIKE ? ESCAPE '\\'", [`%${filter.name.replace(/[%_\\]/g, (c) => `\\${c}`)}%`]);
    if (filter.serviceId) query.where({ service_id: filter.serviceId });
    if (filter.licensingServer) query.where({ licensing_server: filter.licensingServer });
    if (filter.pooled === true) query.where({ state: 'pooled' });
    if (filter.pooled === false) query.whereNot({ state: 'pooled' });
    if (filter.expiresBefore) query.where('paid_until', '<', filter.expiresBefore.toISOString());
    if (filter.expiresAfter) query.where('paid_until', '>', filter.expiresAfter.toISOString());
    return ((await query) as LicenseRow[]).map((row) => this.rows.toRecord(row));
  }

  async poolSummary(): Promise<PoolSummaryRow[]> {
    const rows: Array<Record<string, unknown>> = await this.db('licenses')
      .where({ state: 'pooled' })
      .groupBy('licensing_server', 'price_list')
      .orderBy(['licensing_server', 'price_list'])
      .select('licensing_server', 'price_list')
      .count({ pooled: '*' })
      .min({ soonest: 'paid_until' });
    return rows.map((r) => ({
      licensingServer: String(r.licensing_server),
      priceList: String(r.price_list),
      pooled: Number(r.pooled),
      soonestExpiry: r.soonest ? String(r.soonest) : null,
    }));
  }

  /** Counts pooled licenses per (server, price list) that the eligibility rule accepts (for any IP). */
  async countEligible(
    rule: PoolEligibility,
  ): Promise<Array<{ licensingServer: string; priceList: string; eligible: number }>> {
    const rows: Array<Record<string, unknown>> = await whereEligible(this.db('licenses'), rule)
      .groupBy('licensing_server', 'price_list')
      .select('licensing_server', 'price_list')
      .count({ eligible: '*' });
    return rows.map((r) => ({
      licensingServer: String(r.licensing_server),
      priceList: String(r.price_list),
      eligible: Number(r.eligible),
    }));
  }

  private async one(query: Knex.QueryBuilder): Promise<LicenseRecord | null> {
    const row = (await query.first()) as LicenseRow | undefined;
    return row ? this.rows.toRecord(row) : null;
  }
}
