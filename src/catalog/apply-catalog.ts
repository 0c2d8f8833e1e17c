import type { Logger } from 'pino';
import type { ManagedBy } from '../db/catalog-provenance';
import type { CatalogService } from './catalog-service';
import type { PeriodComparisonService } from './period-comparison-service';
import type { CatalogConfig } from './schemas';

export interface CatalogApplyOptions {
  /** Where `"url": "sandbox"` points: the in-process sandbox's endpoint, or null when none runs. */
  sandbox: { apiUrl: string } | null;
}

/**
 * Applies the config file's `catalog` block at start. Its entries become config-managed (`managedBy: "config"`): the
 * file wins for them, and the admin API answers 409 to a PUT or DELETE of one. Entries made through the API are never
 * touched, so a restart does not undo a provider's work; two cases are logged:
 * - a file entry whose key was made through the API: the file takes it over (warn);
 * - a config-managed entry the file no longer declares: it stays, now managed through the API (warn).
 * Idempotent, and every write goes through the same checks as the admin API.
 */
export async function applyCatalog(
  catalog: CatalogService,
  periodComparisons: PeriodComparisonService,
  config: CatalogConfig,
  options: CatalogApplyOptions,
  logger: Logger,
): Promise<void> {
  const before = await provenanceNow(catalog, periodComparisons);
  const takenOver = { licensingServers: [] as string[], enumerations: [] as string[], tariffPlans: [] as string[] };
  const asConfig = { managedBy: 'config' } as const;

  for (const { key, ...server } of config.licensingServers) {
    if (before.licensingServers.get(key) === 'api') takenOver.licensingServers.push(key);
    const url = server.url === 'sandbox' ? sandboxUrl(options, key) : server.url;
    await catalog.putLicensingServer(key, { ...server, url }, asConfig);
  }
  for (const { key, ...enumeration } of config.enumerations) {
    if (before.enumerations.get(key) === 'api') takenOver.enumerations.push(key);
    await catalog.putEnumeration(key, enumeration, asConfig);
  }
  for (const { key, ...plan } of config.tariffPlans) {
    if (before.tariffPlans.get(key) === 'api') takenOver.tariffPlans.push(key);
    await catalog.putTariffPlan(key, plan, asConfig);
  }
  const fileRuleIds: string[] = [];
  const rulesTakenOver: string[] = [];
  for (const rule of config.periodComparisons) {
    const saved = await periodComparisons.createPeriodComparison(rule, asConfig);
    if (before.periodComparisons.get(saved.id) === 'api') rulesTakenOver.push(saved.id);
    fileRuleIds.push(saved.id);
  }
  if (Object.values(takenOver).some((keys) => keys.length) || rulesTakenOver.length) {
    logger.warn(
      { ...takenOver, periodComparisons: rulesTakenOver },
      'catalog entries made through the admin API are now managed by the configuration file, which declares them',
    );
  }

  const handedOver = {
    ...(await catalog.handOverToApi({
      licensingServers: config.licensingServers.map((s) => s.key),
      enumerations: config.enumerations.map((e) => e.key),
      tariffPlans: config.tariffPlans.map((p) => p.key),
    })),
    periodComparisons: await periodComparisons.handOverToApi(fileRuleIds),
  };
  if (Object.values(handedOver).some((keys) => keys.length)) {
    logger.warn(
      handedOver,
      'catalog entries no longer in the configuration file stay as they are, now managed through the admin API',
    );
  }
  logger.info(
    {
      licensingServers: config.licensingServers.length,
      enumerations: config.enumerations.length,
      tariffPlans: config.tariffPlans.length,
      periodComparisons: config.periodComparisons.length,
    },
    'catalog from the configuration applied (config-managed)',
  );
}

/** Who manages each existing entry, per kind, before the file is applied. */
async function provenanceNow(catalog: CatalogService, periodComparisons: PeriodComparisonService) {
  const byKey = (items: Array<{ key: string; managedBy: ManagedBy }>) =>
    new Map(items.map((item) => [item.key, item.managedBy] as const));
  return {
    licensingServers: byKey(await catalog.listLicensingServers()),
    enumerations: byKey(await catalog.listEnumerations()),
    tariffPlans: byKey(await catalog.listTariffPlans()),
    periodComparisons: new Map(
      (await periodComparisons.listPeriodComparisons()).map((rule) => [rule.id, rule.managedBy] as const),
    ),
  };
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
