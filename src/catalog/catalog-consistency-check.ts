import { findCatalogProblems, type CatalogProblem } from '../domain/catalog-consistency';
import type { PeriodRule } from '../domain/period-comparison';
import type { EnumerationRecord } from '../db/enumeration-store';
import type { TariffPlanRecord } from '../db/tariff-plan-store';
import { RuleViolationError } from '../errors';
import type { CatalogDependencies } from './catalog-service';

/** Checks the catalog as it would be after the change; 422 naming every problem otherwise. */
export async function assertCatalogConsistent(
  deps: Pick<CatalogDependencies, 'tariffPlans' | 'enumerations' | 'periodComparisons'>,
  change: {
    plan?: Omit<TariffPlanRecord, 'createdAt' | 'updatedAt'>;
    enumeration?: Pick<EnumerationRecord, 'key' | 'values'>;
    rule?: PeriodRule;
    replacing?: string;
  },
): Promise<void> {
  const plans = (await deps.tariffPlans.list()).filter((p) => p.key !== change.plan?.key);
  if (change.plan) plans.push({ ...change.plan, createdAt: '', updatedAt: '' });
  const enumerations = new Map((await deps.enumerations.list()).map((e) => [e.key, e.values] as const));
  if (change.enumeration) enumerations.set(change.enumeration.key, change.enumeration.values);
  const rules: PeriodRule[] = (await deps.periodComparisons.list()).filter((r) => r.id !== change.replacing);
  if (change.rule) rules.push(change.rule);
  const problems: CatalogProblem[] = findCatalogProblems({
    plans,
    valuesOf: (key) => enumerations.get(key) ?? [],
    rules,
  });
  if (problems.length) {
    throw new RuleViolationError(problems[0]!.message, { problems: problems.slice(0, 20) }, 'period_not_orderable');
  }
}

export function unknownReference(field: string, value: string): RuleViolationError {
  return new RuleViolationError(`unknown ${field} "${value}"`, { field, value }, 'unknown_reference');
}
