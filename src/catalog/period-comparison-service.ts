import crypto from 'node:crypto';
import { isTrialValue, orderablePeriodsOf } from '../domain/catalog-consistency';
import { DEFAULT_ORDERABLE_PERIODS, type Period } from '../domain/period';
import { PeriodConfigurationError, resolveLicensePeriod, type PeriodRule } from '../domain/period-comparison';
import { isUniqueViolation } from '../db/columns';
import { scopeKey } from '../db/period-comparison-store';
import type { TariffPlanRecord } from '../db/tariff-plan-store';
import { ConflictError, InvalidInputError, NotFoundError, RuleViolationError } from '../errors';
import { assertCatalogConsistent, assertWriterMayChange, unknownReference } from './catalog-consistency-check';
import type { CatalogDependencies, CatalogWriteOptions } from './catalog-service';
import type { PeriodComparisonBody } from './schemas';
import { periodComparisonView } from './views';

/** How a rule not yet saved is named in a 422 that explains why it cannot be. */
const PROPOSED_RULE_ID = 'proposed';

/**
 * The provider's period comparisons ("sell monthly, buy yearly"): rules are checked against the whole catalog before
 * they are saved (unknown references 422, same scope and source 409, a target a price list it meets cannot be
 * ordered for 422), and `resolvePeriod` answers which license period a service period gets.
 */
export class PeriodComparisonService {
  constructor(private readonly deps: CatalogDependencies) {}

  /**
   * Creates a rule. Through the API (`managedBy` `api`) a rule of the same scope and source is 409; from the
   * configuration file (`config`) that rule gets the file's target and becomes config-managed instead.
   */
  async createPeriodComparison(body: PeriodComparisonBody, { managedBy = 'api' }: CatalogWriteOptions = {}) {
    const rule = await this.ruleFromBody(body);
    const existing = (await this.deps.periodComparisons.list({ licensingServer: rule.licensingServer })).find(
      (r) => scopeKey(r) === scopeKey(rule) && r.sourcePeriod === rule.sourcePeriod,
    );
    if (existing && managedBy === 'api') {
      throw new ConflictError(
        'a period comparison with the same scope and source exists',
        { rule: existing.id },
        'duplicate_rule',
      );
    }
    if (existing) {
      if (existing.targetPeriod === rule.targetPeriod && existing.managedBy === managedBy)
        return periodComparisonView(existing);
      await assertCatalogConsistent(this.deps, { rule: { ...rule, id: existing.id }, replacing: existing.id });
      await this.deps.periodComparisons.updateTarget(existing.id, rule.targetPeriod, managedBy);
      this.deps.onChange?.();
      return periodComparisonView((await this.deps.periodComparisons.get(existing.id))!);
    }
    await assertCatalogConsistent(this.deps, { rule });
    try {
      const saved = await this.deps.periodComparisons.insert(
        { ...rule, id: crypto.randomUUID(), managedBy },
        this.deps.now(),
      );
      this.deps.onChange?.();
      return periodComparisonView(saved);
    } catch (error) {
      if (isUniqueViolation(error))
        throw new ConflictError('a period comparison with the same scope and source exists', null, 'duplicate_rule');
      throw error;
    }
  }

  async listPeriodComparisons() {
    return (await this.deps.periodComparisons.list()).map(periodComparisonView);
  }

  async deletePeriodComparison(id: string): Promise<void> {
    const existing = await this.deps.periodComparisons.get(id);
    if (!existing) throw new NotFoundError(`no period comparison "${id}"`);
    assertWriterMayChange('api', existing, `period comparison "${id}"`);
    if (!(await this.deps.periodComparisons.delete(id))) throw new NotFoundError(`no period comparison "${id}"`);
    this.deps.onChange?.();
  }

  /** Config-managed rules whose id is not in `fileRuleIds` are handed over to the API; returns their ids. */
  async handOverToApi(fileRuleIds: readonly string[]): Promise<string[]> {
    const handedOver = await this.deps.periodComparisons.handOverToApi(fileRuleIds);
    this.deps.onChange?.();
    return handedOver;
  }

  /** The `resolve` endpoint: which period a license of `priceList` gets for a service of `sourcePeriod`. */
  async resolvePeriod(query: {
    licensingServer?: string;
    tariffPlan?: string;
    sourcePeriod: Period;
    priceList?: string;
  }) {
    const plan = query.tariffPlan ? await this.deps.tariffPlans.get(query.tariffPlan) : null;
    if (query.tariffPlan && !plan) throw unknownReference('tariffPlan', query.tariffPlan);
    const licensingServer = query.licensingServer ?? plan?.licensingServer;
    if (!licensingServer)
      throw new InvalidInputError('licensingServer or tariffPlan is required', { field: 'licensingServer' });
    if (!(await this.deps.licensingServers.get(licensingServer)))
      throw unknownReference('licensingServer', licensingServer);
    if (plan && plan.licensingServer !== licensingServer) {
      throw new RuleViolationError(`tariff plan "${plan.key}" uses licensing server "${plan.licensingServer}"`, {
        field: 'tariffPlan',
      });
    }
    const orderablePeriods = await this.orderablePeriodsFor(query.priceList, plan);
    try {
      return resolveLicensePeriod({
        rules: await this.deps.periodComparisons.list({ licensingServer }),
        licensingServer,
        tariffPlan: plan?.key ?? null,
        productType: plan?.productType ?? null,
        sourcePeriod: query.sourcePeriod,
        orderablePeriods,
        priceList: query.priceList ?? null,
      });
    } catch (error) {
      if (error instanceof PeriodConfigurationError)
        throw new RuleViolationError(error.message, error.details, error.problem);
      throw error;
    }
  }

  /** The periods of the price list as the plan's enumeration (else any enumeration) declares them. */
  private async orderablePeriodsFor(
    priceList: string | undefined,
    plan: TariffPlanRecord | null,
  ): Promise<readonly Period[]> {
    if (!priceList) return DEFAULT_ORDERABLE_PERIODS;
    const enumerations = plan
      ? [await this.deps.enumerations.get(plan.enumeration)]
      : await this.deps.enumerations.list();
    const value = enumerations.flatMap((e) => e?.values ?? []).find((v) => v.internalName === priceList);
    if (value && isTrialValue(value)) {
      throw new RuleViolationError(
        `price list "${priceList}" is a trial value: period comparisons do not apply to it`,
        { field: 'priceList', value: priceList },
        'trial_price_list',
      );
    }
    return value ? orderablePeriodsOf(value) : DEFAULT_ORDERABLE_PERIODS;
  }

  private async ruleFromBody(body: PeriodComparisonBody): Promise<PeriodRule> {
    if (!(await this.deps.licensingServers.get(body.licensingServer)))
      throw unknownReference('licensingServer', body.licensingServer);
    const tariffPlan = body.tariffPlan ?? null;
    let productType = body.productType ?? null;
    if (tariffPlan) {
      const plan = await this.deps.tariffPlans.get(tariffPlan);
      if (!plan) throw unknownReference('tariffPlan', tariffPlan);
      if (plan.licensingServer !== body.licensingServer) {
        throw new RuleViolationError(`tariff plan "${tariffPlan}" uses licensing server "${plan.licensingServer}"`, {
          field: 'tariffPlan',
        });
      }
      if (productType && productType !== plan.productType) {
        throw new RuleViolationError(`tariff plan "${tariffPlan}" is of product type "${plan.productType}"`, {
          field: 'productType',
        });
      }
      productType = plan.productType;
    }
    return {
      id: PROPOSED_RULE_ID,
      licensingServer: body.licensingServer,
      sourcePeriod: body.sourcePeriod,
      targetPeriod: body.targetPeriod,
      tariffPlan,
      productType,
    };
  }
}
