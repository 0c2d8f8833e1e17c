import { isTrialValue, NO_PANEL, orderablePeriodsOf } from '../domain/catalog-consistency';
import { TRIAL_PERIOD, type LicensePeriod, type Period } from '../domain/period';
import { PeriodConfigurationError, resolveLicensePeriod } from '../domain/period-comparison';
import { RuleViolationError } from '../errors';
import type { LifecycleDeps } from './lifecycle-deps';

/**
 * What a service needs: no license, or one of a price list from a licensing server, for a period. A `trial` period
 * (a trial value) is always a new order: never a pooled license, never renewed.
 */
export type LicenseNeed =
  | { kind: 'none'; controlPanel: string }
  | { kind: 'license'; controlPanel: string; licensingServer: string; priceList: string; period: LicensePeriod };

/** A need that is a license. */
export type LicenseRequirement = Extract<LicenseNeed, { kind: 'license' }>;

/**
 * Resolves the plan's "control panel" choice (the hook's value, else the plan's default) to a price list, and the
 * service period to a license period by the provider's period comparisons (a trial value: the trial period).
 */
export async function resolveLicenseNeed(
  deps: Pick<LifecycleDeps, 'tariffPlans' | 'enumerations' | 'periodComparisons'>,
  service: { tariffPlan: string | null; controlPanel: string | null; period: Period | null },
): Promise<LicenseNeed> {
  if (!service.tariffPlan)
    throw new RuleViolationError('the service has no tariff plan', { field: 'tariffPlan' }, 'unknown_reference');
  const plan = await deps.tariffPlans.get(service.tariffPlan);
  if (!plan)
    throw new RuleViolationError(
      `unknown tariff plan "${service.tariffPlan}"`,
      { field: 'tariffPlan' },
      'unknown_reference',
    );
  const enumeration = await deps.enumerations.get(plan.enumeration);
  const controlPanel = service.controlPanel ?? plan.defaultValue;
  const value = enumeration?.values.find((v) => v.key === controlPanel);
  if (!value) {
    throw new RuleViolationError(
      `"${controlPanel}" is not a value of enumeration "${plan.enumeration}"`,
      { field: 'controlPanel' },
      'unknown_reference',
    );
  }
  if (value.internalName === NO_PANEL) return { kind: 'none', controlPanel };
  if (isTrialValue(value)) {
    const base = { kind: 'license', controlPanel, licensingServer: plan.licensingServer } as const;
    return { ...base, priceList: value.internalName, period: TRIAL_PERIOD };
  }
  try {
    const resolution = resolveLicensePeriod({
      rules: await deps.periodComparisons.list({ licensingServer: plan.licensingServer }),
      licensingServer: plan.licensingServer,
      tariffPlan: plan.key,
      productType: plan.productType,
      sourcePeriod: service.period ?? 1,
      orderablePeriods: orderablePeriodsOf(value),
      priceList: value.internalName,
    });
    return {
      kind: 'license',
      controlPanel,
      licensingServer: plan.licensingServer,
      priceList: value.internalName,
      period: resolution.targetPeriod,
    };
  } catch (error) {
    if (error instanceof PeriodConfigurationError)
      throw new RuleViolationError(error.message, error.details, error.problem);
    throw error;
  }
}
