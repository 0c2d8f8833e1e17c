import { DEFAULT_ORDERABLE_PERIODS, isPeriod, isTrialPeriods, type LicensePeriod, type Period } from './period';
import { PeriodConfigurationError, resolveLicensePeriod, type PeriodRule } from './period-comparison';

export const NO_PANEL = 'nopanel';

export interface CatalogPlan {
  key: string;
  productType: string;
  licensingServer: string;
  enumeration: string;
}

export interface CatalogValue {
  key: string;
  internalName: string;
  /** What the price list can be ordered for (null: the defaults); `["trial"]` makes it a trial value. */
  periods: readonly LicensePeriod[] | null;
}

export interface CatalogProblem {
  tariffPlan: string;
  value: string;
  priceList: string;
  sourcePeriod: Period;
  rule: string | null;
  message: string;
}

/** What an enumeration value's price list can be ordered for, by period comparison (a trial value: nothing). */
export function orderablePeriodsOf(value: Pick<CatalogValue, 'periods'>): readonly Period[] {
  return value.periods ? value.periods.filter(isPeriod) : DEFAULT_ORDERABLE_PERIODS;
}

/**
 * A trial value (SPEC.md "Trials"): its periods are exactly `["trial"]`. Period comparisons do not apply to it, and
 * its license is always a new trial order, never a pooled one.
 */
export function isTrialValue(value: Pick<CatalogValue, 'periods'>): boolean {
  return isTrialPeriods(value.periods);
}

/**
 * Every place where the catalog could not decide a license period: for each tariff plan, each of its enumeration's
 * price lists, and each source period some rule of its licensing server names, the deciding rule must target a
 * period that price list can be ordered for. Only the rule that would actually decide counts, so a narrower rule
 * may shadow a wider one whose target the plan's price lists do not offer. Trial values are skipped: a trial is
 * ordered for the trial period whatever the service's period.
 */
export function findCatalogProblems(catalog: {
  plans: readonly CatalogPlan[];
  valuesOf: (enumeration: string) => readonly CatalogValue[];
  rules: readonly PeriodRule[];
}): CatalogProblem[] {
  const problems: CatalogProblem[] = [];
  for (const plan of catalog.plans) {
    const rulesOfServer = catalog.rules.filter((rule) => rule.licensingServer === plan.licensingServer);
    const sources = distinctPeriods(rulesOfServer.map((rule) => rule.sourcePeriod));
    for (const value of catalog.valuesOf(plan.enumeration)) {
      if (value.internalName === NO_PANEL || isTrialValue(value)) continue;
      for (const sourcePeriod of sources) {
        try {
          resolveLicensePeriod({
            rules: rulesOfServer,
            licensingServer: plan.licensingServer,
            tariffPlan: plan.key,
            productType: plan.productType,
            sourcePeriod,
            orderablePeriods: orderablePeriodsOf(value),
            priceList: value.internalName,
          });
        } catch (error) {
          if (!(error instanceof PeriodConfigurationError)) throw error;
          problems.push({
            tariffPlan: plan.key,
            value: value.key,
            priceList: value.internalName,
            sourcePeriod,
            rule: error.ruleId,
            message: error.message,
          });
        }
      }
    }
  }
  return problems;
}

function distinctPeriods(periods: readonly Period[]): Period[] {
  return [...new Set(periods)];
}
