import { findCatalogProblems, type CatalogProblem } from '../domain/catalog-consistency';
import type { PeriodRule } from '../domain/period-comparison';
import type { EnumerationRecord } from '../db/enumeration-store';
import type { TariffPlanRecord } from '../db/tariff-plan-store';
import type { ManagedBy } from '../db/catalog-provenance';
import { minimumWorkerTiming, moduleTimeoutMs, workerTimingProblem, type WorkerTiming } from '../domain/worker-timing';
import { ConflictError, RuleViolationError } from '../errors';
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

/**
 * The admin API may not change what the configuration file manages: 409 `managed_by_config`, nothing changed. The
 * file itself (`writer` `config`) may change anything, and takes over an API-made entry of the same key.
 */
export function assertWriterMayChange(
  writer: ManagedBy,
  existing: { managedBy: ManagedBy } | null,
  what: string,
): void {
  if (writer === 'api' && existing?.managedBy === 'config') {
    throw new ConflictError(
      `${what} is managed by the configuration file: change it there, or remove it from the file and restart`,
      { managedBy: 'config' },
      'managed_by_config',
    );
  }
}

/** 422 when a licensing server's `timeoutMs` would make `timing` unsafe (see `domain/worker-timing.ts`). */
export function assertTimeoutFitsWorkerTiming(timing: WorkerTiming | undefined, settings: unknown): void {
  if (!timing) return;
  const problem = workerTimingProblem(timing, moduleTimeoutMs(settings));
  if (problem) {
    throw new RuleViolationError(
      problem,
      { field: 'settings.timeoutMs', ...minimumWorkerTiming(moduleTimeoutMs(settings)) },
      'timeout_too_long',
    );
  }
}
