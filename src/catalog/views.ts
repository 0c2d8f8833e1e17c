import type { EnumerationRecord } from '../db/enumeration-store';
import type { LicensingServerRecord } from '../db/licensing-server-store';
import type { PeriodComparisonRecord } from '../db/period-comparison-store';
import type { TariffPlanRecord } from '../db/tariff-plan-store';

/**
 * The API's views of the catalog. Each carries `managedBy`: `config` for an entry declared in the configuration file
 * (the admin API may not change it), `api` for one made through the admin API.
 */

/** The API's view of a licensing server: everything but the password. */
export function licensingServerView(record: LicensingServerRecord) {
  return {
    key: record.key,
    module: record.module,
    url: record.url,
    username: record.username,
    settings: record.settings,
    /** Null when none are known. */
    prices: record.prices,
    managedBy: record.managedBy,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

export function enumerationView(record: EnumerationRecord) {
  return {
    key: record.key,
    name: record.name,
    values: record.values.map((value) => ({
      key: value.key,
      name: value.name,
      internalName: value.internalName,
      ...(value.periods ? { periods: value.periods } : {}),
    })),
    managedBy: record.managedBy,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

export function tariffPlanView(record: TariffPlanRecord) {
  return { ...record };
}

export function periodComparisonView(record: PeriodComparisonRecord) {
  return { ...record };
}
