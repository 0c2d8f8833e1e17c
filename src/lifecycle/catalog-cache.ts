import type { EnumerationRecord, EnumerationStore } from '../db/enumeration-store';
import type { LicensingServerRecord, LicensingServerStore } from '../db/licensing-server-store';
import type { PeriodComparisonRecord, PeriodComparisonStore } from '../db/period-comparison-store';
import type { TariffPlanRecord, TariffPlanStore } from '../db/tariff-plan-store';

/**
 * The catalog reads every operation makes (tariff plan, enumeration, period comparisons, the licensing server's
 * prices), kept for a short time.
 * This process forgets them at once when it changes the catalog; other processes see a change within `ttlMs`.
 */
export class CatalogCache {
  private readonly entries = new Map<string, { at: number; value: Promise<unknown> }>();

  constructor(
    private readonly stores: {
      licensingServers: LicensingServerStore;
      tariffPlans: TariffPlanStore;
      enumerations: EnumerationStore;
      periodComparisons: PeriodComparisonStore;
    },
    private readonly ttlMs: number,
  ) {}

  /** Store-shaped views for the lifecycle: only the reads it makes are cached. */
  get tariffPlans(): Pick<TariffPlanStore, 'get'> {
    return {
      get: (key) =>
        this.read(`plan:${key}`, () => this.stores.tariffPlans.get(key)) as Promise<TariffPlanRecord | null>,
    };
  }

  get licensingServers(): Pick<LicensingServerStore, 'get'> {
    return {
      get: (key) =>
        this.read(`server:${key}`, () =>
          this.stores.licensingServers.get(key),
        ) as Promise<LicensingServerRecord | null>,
    };
  }

  get enumerations(): Pick<EnumerationStore, 'get'> {
    return {
      get: (key) =>
        this.read(`enum:${key}`, () => this.stores.enumerations.get(key)) as Promise<EnumerationRecord | null>,
    };
  }

  get periodComparisons(): Pick<PeriodComparisonStore, 'list'> {
    return {
      list: (filter = {}) =>
        this.read(`rules:${filter.licensingServer ?? '*'}:${filter.tariffPlan ?? '*'}`, () =>
          this.stores.periodComparisons.list(filter),
        ) as Promise<PeriodComparisonRecord[]>,
    };
  }

  clear(): void {
    this.entries.clear();
  }

  private read(key: string, load: () => Promise<unknown>): Promise<unknown> {
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && now - hit.at < this.ttlMs) return hit.value;
    const value = load();
    this.entries.set(key, { at: now, value });
    value.catch(() => this.entries.delete(key));
    return value;
  }
}
