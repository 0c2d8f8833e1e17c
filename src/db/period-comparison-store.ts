import type { Knex } from 'knex';
import type { PeriodRule } from '../domain/period-comparison';
import { handOverToApi, managedByFromDb, type ManagedBy } from './catalog-provenance';
import { periodFromDb, periodToDb } from './columns';

export interface PeriodComparisonRecord extends PeriodRule {
  managedBy: ManagedBy;
  createdAt: string;
}

export interface PeriodComparisonStore {
  /** Throws a unique violation when a rule with the same server, scope and source exists. */
  insert(rule: PeriodRule & { managedBy: ManagedBy }, now: Date): Promise<PeriodComparisonRecord>;
  /** Sets the target and provenance of an existing rule (the config catalog re-applied, or taking a rule over). */
  updateTarget(id: string, targetPeriod: PeriodRule['targetPeriod'], managedBy: ManagedBy): Promise<void>;
  get(id: string): Promise<PeriodComparisonRecord | null>;
  list(filter?: { licensingServer?: string; tariffPlan?: string }): Promise<PeriodComparisonRecord[]>;
  delete(id: string): Promise<boolean>;
  /** Rules managed by the file whose id is not in `keep` become `api`-managed; returns their ids. */
  handOverToApi(keep: readonly string[]): Promise<string[]>;
}

interface Row {
  id: string;
  licensing_server: string;
  source_period: string;
  target_period: string;
  tariff_plan: string | null;
  product_type: string | null;
  scope_key: string;
  managed_by: string;
  created_at: string;
}

const TABLE = 'period_comparisons';

/** One rule per (licensing server, scope, source): the scope key makes the database enforce it. */
export function scopeKey(rule: Pick<PeriodRule, 'tariffPlan' | 'productType'>): string {
  if (rule.tariffPlan) return `plan:${rule.tariffPlan}`;
  if (rule.productType) return `type:${rule.productType}`;
  return '*';
}

export class KnexPeriodComparisonStore implements PeriodComparisonStore {
  constructor(private readonly db: Knex) {}

  async insert(rule: PeriodRule & { managedBy: ManagedBy }, now: Date): Promise<PeriodComparisonRecord> {
    await this.db(TABLE).insert({
      id: rule.id,
      licensing_server: rule.licensingServer,
      source_period: periodToDb(rule.sourcePeriod),
      target_period: periodToDb(rule.targetPeriod),
      tariff_plan: rule.tariffPlan,
      product_type: rule.productType,
      scope_key: scopeKey(rule),
      managed_by: rule.managedBy,
      created_at: now.toISOString(),
    });
    return (await this.get(rule.id))!;
  }

  async updateTarget(id: string, targetPeriod: PeriodRule['targetPeriod'], managedBy: ManagedBy): Promise<void> {
    await this.db(TABLE)
      .where({ id })
      .update({ target_period: periodToDb(targetPeriod), managed_by: managedBy });
  }

  async get(id: string): Promise<PeriodComparisonRecord | null> {
    const row = await this.db<Row>(TABLE).where({ id }).first();
    return row ? toRecord(row) : null;
  }

  async list(filter: { licensingServer?: string; tariffPlan?: string } = {}): Promise<PeriodComparisonRecord[]> {
    const query = this.db<Row>(TABLE).orderBy(['created_at', 'id']);
    if (filter.licensingServer) query.where({ licensing_server: filter.licensingServer });
    if (filter.tariffPlan) query.where({ tariff_plan: filter.tariffPlan });
    return (await query).map(toRecord);
  }

  async delete(id: string): Promise<boolean> {
    return (await this.db(TABLE).where({ id }).delete()) > 0;
  }

  handOverToApi(keep: readonly string[]): Promise<string[]> {
    return handOverToApi(this.db, TABLE, 'id', keep);
  }
}

function toRecord(row: Row): PeriodComparisonRecord {
  return {
    id: row.id,
    licensingServer: row.licensing_server,
    sourcePeriod: periodFromDb(row.source_period),
    targetPeriod: periodFromDb(row.target_period),
    tariffPlan: row.tariff_plan,
    productType: row.product_type,
    managedBy: managedByFromDb(row.managed_by),
    createdAt: row.created_at,
  };
}
