import type { Logger } from 'pino';
import type { CatalogService } from './catalog-service';
import type { PeriodComparisonService } from './period-comparison-service';
import type { CatalogConfig } from './schemas';

export interface CatalogApplyOptions {
  /** Where `"url": "sandbox"` points: the in-process sandbox's endpoint, or null when none runs. */
  sandbox: { apiUrl: string } | null;
}

/**
 * Applies the config file's `catalog` block. Idempotent: the same block applied twice changes nothing, and a rule
 * whose scope and source exist gets the configured target. Goes through the same checks as the admin API.
 */
export async function applyCatalog(
  catalog: CatalogService,
  periodComparisons: PeriodComparisonService,
  config: CatalogConfig,
  options: CatalogApplyOptions,
  logger: Logger,
): Promise<void> {
  for (const { key, ...server } of config.licensingServers) {
    const url = server.url === 'sandbox' ? sandboxUrl(options, key) : server.url;
    await catalog.putLicensingServer(key, { ...server, url });
  }
  for (const { key, ...enumeration } of config.enumerations) await catalog.putEnumeration(key, enumeration);
  for (const { key, ...plan } of config.tariffPlans) await catalog.putTariffPlan(key, plan);
  for (const rule of config.periodComparisons)
    await periodComparisons.createPeriodComparison(rule, { replaceTarget: true });
  logger.info(
    {
      licensingServers: config.licensingServers.length,
      enumerations: config.enumerations.length,
      tariffPlans: config.tariffPlans.length,
      periodComparisons: config.periodComparisons.length,
    },
    'catalog from the configuration applied',
  );
}

function sandboxUrl(options: CatalogApplyOptions, key: string): string {
  if (!options.sandbox) {
    throw new Error(
      `catalog.licensingServers "${key}" points at the sandbox, but the sandbox is not running ` +
        '(it never runs in production, nor with sandbox.enabled false)',
    );
  }
  return options.sandbox.apiUrl;
}
