import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { PoolEligibility } from '../domain/pool-eligibility';
import type { CostGroup, CostKind, IdleLicense, ReportRange, TariffPlanServices } from '../domain/savings-report';
import { whereEligible } from './license-pool-query';
import type { CostFacts, LicenseMoveContext } from './license-move-inputs';
import { licensePeriodFromDb, licensePeriodToDb, type LicensePeriod, type LicenseRecord } from './license-rows';

export type { CostKind } from '../domain/savings-report';

/**
 * `license_costs`: written by the license moves (order, renewal, claim from the pool) in their own transaction, read
 * by the savings report. The transaction comes last.
 */
export class KnexLicenseCostStore {
  constructor(private readonly db: Knex) {}

  /**
   * One event of the account's money, for `license` (its `serviceId`: the service it happened for) by a move: an
   * order, a renewal, or a reuse (`cost.price` is then what the reuse avoided).
   */
  async record(
    kind: CostKind,
    license: Pick<LicenseRecord, 'id' | 'licensingServer' | 'priceList' | 'serviceId'>,
    cost: CostFacts & { period: LicensePeriod },
    by: LicenseMoveContext,
    trx: Knex = this.db,
  ): Promise<void> {
    await trx('license_costs').insert({
      id: crypto.randomUUID(),
      kind,
      license_id: license.id,
      licensing_server: license.licensingServer,
      price_list: license.priceList,
      period: licensePeriodToDb(cost.period),
      amount: cost.price?.amount ?? null,
      currency: cost.price?.currency ?? null,
      service_id: license.serviceId,
      tariff_plan: cost.tariffPlan,
      operation_id: by.operationId ?? null,
      at: by.at.toISOString(),
    });
  }

  /** A claimed license went back (or was found gone) before it served: its claim was no reuse after all. */
  async forgetReuse(licenseId: string, operationId: string, trx: Knex = this.db): Promise<void> {
    await trx('license_costs').where({ kind: 'reuse', license_id: licenseId, operation_id: operationId }).delete();
  }

  /** The events of the range (both ends included), counted and summed per kind, price list, plan and currency. */
  async summarize(range: ReportRange, trx: Knex = this.db): Promise<CostGroup[]> {
    const rows: Array<Record<string, unknown>> = await this.inRange(trx, range)
      .groupBy('kind', 'licensing_server', 'price_list', 'tariff_plan', 'currency')
      .select('kind', 'licensing_server', 'price_list', 'tariff_plan', 'currency')
      .count({ events: '*' })
      .count({ priced: 'amount' })
      .sum({ total: 'amount' });
    return rows.map((row) => ({
      kind: row.kind as CostKind,
      licensingServer: String(row.licensing_server),
      priceList: String(row.price_list),
      tariffPlan: row.tariff_plan === null ? null : String(row.tariff_plan),
      currency: row.currency === null ? null : String(row.currency),
      events: Number(row.events),
      priced: Number(row.priced),
      total: row.total === null ? null : Number(row.total),
    }));
  }

  /** How many services had an event of the range, per tariff plan. */
  async servicesPerTariffPlan(range: ReportRange, trx: Knex = this.db): Promise<TariffPlanServices[]> {
    const rows: Array<Record<string, unknown>> = await this.inRange(trx, range)
      .whereNotNull('tariff_plan')
      .groupBy('tariff_plan')
      .select('tariff_plan')
      .countDistinct({ services: 'service_id' });
    return rows.map((row) => ({ tariffPlan: String(row.tariff_plan), services: Number(row.services) }));
  }

  /** Pooled licenses the eligibility rule accepts now (for any IP): paid time waiting for a service. */
  async idleLicenses(rule: PoolEligibility, trx: Knex = this.db): Promise<IdleLicense[]> {
    const rows: Array<Record<string, string | null>> = await whereEligible(trx('licenses'), rule).select(
      'licensing_server',
      'price_list',
      'period',
      'paid_until',
    );
    return rows.map((row) => ({
      licensingServer: String(row.licensing_server),
      priceList: String(row.price_list),
      period: licensePeriodFromDb(row.period ?? null),
      paidUntil: new Date(String(row.paid_until)),
    }));
  }

  private inRange(trx: Knex, range: ReportRange): Knex.QueryBuilder {
    return trx('license_costs').where('at', '>=', range.from.toISOString()).where('at', '<=', range.to.toISOString());
  }
}
