import type { Knex } from 'knex';
import type { PoolEligibility } from '../domain/pool-eligibility';
import { whereEligible } from './license-pool-query';

/** Pooled and eligible licenses of one licensing server and price list. */
export interface PoolGaugeRow {
  licensingServer: string;
  priceList: string;
  pooled: number;
  eligible: number;
}

/** What the database says at scrape time, read in one go and cached by the metrics (`metrics.cacheMs`). */
export interface DatabaseGauges {
  pool: PoolGaugeRow[];
  openAlerts: Array<{ kind: string; severity: string; count: number }>;
  operations: Array<{ status: string; count: number }>;
  /** Sum of the priced orders and renewals; a price list's events with no price add nothing. */
  spent: Array<{ licensingServer: string; priceList: string; currency: string; amount: number }>;
}

/**
 * The reads behind the database gauges of `GET /metrics`: each is one grouped count or sum over an indexed column,
 * so a scrape stays cheap however many licenses and operations there are.
 */
export interface MetricsStore {
  readGauges(poolRule: PoolEligibility): Promise<DatabaseGauges>;
}

export class KnexMetricsStore implements MetricsStore {
  constructor(private readonly db: Knex) {}

  async readGauges(poolRule: PoolEligibility): Promise<DatabaseGauges> {
    const [pool, openAlerts, operations, spent] = await Promise.all([
      this.pool(poolRule),
      this.openAlerts(),
      this.operationsByStatus(),
      this.spent(),
    ]);
    return { pool, openAlerts, operations, spent };
  }

  private async pool(rule: PoolEligibility): Promise<PoolGaugeRow[]> {
    const [pooled, eligible]: [Array<Record<string, unknown>>, Array<Record<string, unknown>>] = await Promise.all([
      this.db('licenses')
        .where({ state: 'pooled' })
        .groupBy('licensing_server', 'price_list')
        .select('licensing_server', 'price_list')
        .count({ n: '*' }),
      whereEligible(this.db('licenses'), rule)
        .groupBy('licensing_server', 'price_list')
        .select('licensing_server', 'price_list')
        .count({ n: '*' }),
    ]);
    const key = (row: Record<string, unknown>) => `${String(row.licensing_server)}\u0000${String(row.price_list)}`;
    const eligibleByKey = new Map(eligible.map((row) => [key(row), Number(row.n)]));
    return pooled.map((row) => ({
      licensingServer: String(row.licensing_server),
      priceList: String(row.price_list),
      pooled: Number(row.n),
      eligible: eligibleByKey.get(key(row)) ?? 0,
    }));
  }

  private async openAlerts(): Promise<DatabaseGauges['openAlerts']> {
    const rows: Array<Record<string, unknown>> = await this.db('alerts')
      .where({ state: 'open' })
      .groupBy('kind', 'severity')
      .select('kind', 'severity')
      .count({ n: '*' });
    return rows.map((row) => ({ kind: String(row.kind), severity: String(row.severity), count: Number(row.n) }));
  }

  private async operationsByStatus(): Promise<DatabaseGauges['operations']> {
    const rows: Array<Record<string, unknown>> = await this.db('operations')
      .groupBy('status')
      .select('status')
      .count({ n: '*' });
    return rows.map((row) => ({ status: String(row.status), count: Number(row.n) }));
  }

  private async spent(): Promise<DatabaseGauges['spent']> {
    const rows: Array<Record<string, unknown>> = await this.db('license_costs')
      .whereIn('kind', ['order', 'renewal'])
      .whereNotNull('amount')
      .whereNotNull('currency')
      .groupBy('licensing_server', 'price_list', 'currency')
      .select('licensing_server', 'price_list', 'currency')
      .sum({ amount: 'amount' });
    return rows.map((row) => ({
      licensingServer: String(row.licensing_server),
      priceList: String(row.price_list),
      currency: String(row.currency),
      amount: Number(row.amount),
    }));
  }
}
