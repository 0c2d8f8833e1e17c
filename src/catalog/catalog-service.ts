import type { LicensingModuleDefinition, LicensingServerConnection } from '../domain/licensing-module';
import type { WorkerTiming } from '../domain/worker-timing';
import type { ManagedBy } from '../db/catalog-provenance';
import type { EnumerationStore } from '../db/enumeration-store';
import type { LicenseStore } from '../db/license-store';
import { passwordLocation, type LicensingServerStore } from '../db/licensing-server-store';
import type { PeriodComparisonStore } from '../db/period-comparison-store';
import type { ServiceStore } from '../db/service-store';
import type { TariffPlanStore } from '../db/tariff-plan-store';
import { isForeignKeyViolation } from '../db/columns';
import { ConflictError, InvalidInputError, NotFoundError, RuleViolationError } from '../errors';
import type { SecretBox } from '../security/secret-box';
import {
  assertCatalogConsistent,
  assertTimeoutFitsWorkerTiming,
  assertWriterMayChange,
  unknownReference,
} from './catalog-consistency-check';
import type { EnumerationBody, LicensingServerBody, TariffPlanBody } from './schemas';
import { enumerationView, licensingServerView, tariffPlanView } from './views';

export interface CatalogDependencies {
  /** What still refers to a licensing server or a tariff plan about to be deleted. */
  licenses: Pick<LicenseStore, 'countHeldAt'>;
  services: Pick<ServiceStore, 'listOpenOnPlan'>;
  licensingServers: LicensingServerStore;
  enumerations: EnumerationStore;
  tariffPlans: TariffPlanStore;
  periodComparisons: PeriodComparisonStore;
  secretBox: SecretBox;
  findModule: (id: string) => LicensingModuleDefinition | undefined;
  now: () => Date;
  /** Told after every change, so caches of the catalog forget what they hold. */
  onChange?: () => void;
  /**
   * The worker timing every licensing server's `timeoutMs` must fit (`domain/worker-timing.ts`): a PUT that breaks it
   * is 422 `timeout_too_long`. Absent (tests with shrunken delays): not checked.
   */
  workerTiming?: WorkerTiming;
}

/** Who writes: the admin API (`api`, the default) or the configuration file applied at start (`config`). */
export interface CatalogWriteOptions {
  managedBy?: ManagedBy;
}

/** The keys of the file's own entries, per kind: every other config-managed entry is handed over to the API. */
export interface ConfigCatalogKeys {
  licensingServers: readonly string[];
  enumerations: readonly string[];
  tariffPlans: readonly string[];
}

/**
 * The provider's catalog: licensing servers, enumerations, tariff plans and period comparisons. Every write is
 * checked against the rest of the catalog before it is saved (unknown references 422, duplicates 409, a period
 * comparison whose target a price list it meets cannot be ordered for 422), so the catalog is always usable. An
 * entry declared in the configuration file is changed by the file only: the API's PUT or DELETE of it is 409.
 */
export class CatalogService {
  constructor(private readonly deps: CatalogDependencies) {}

  async putLicensingServer(key: string, body: LicensingServerBody, { managedBy = 'api' }: CatalogWriteOptions = {}) {
    assertWriterMayChange(managedBy, await this.deps.licensingServers.get(key), `licensing server "${key}"`);
    const definition = this.deps.findModule(body.module);
    if (!definition)
      throw new RuleViolationError(`unknown module "${body.module}"`, { field: 'module' }, 'unknown_reference');
    let settings: unknown;
    try {
      settings = definition.parseSettings(body.settings);
    } catch (error) {
      throw new InvalidInputError(`invalid settings: ${(error as Error).message}`, { field: 'settings' });
    }
    assertTimeoutFitsWorkerTiming(this.deps.workerTiming, settings);
    const record = await this.deps.licensingServers.upsert(
      {
        key,
        module: body.module,
        url: body.url,
        username: body.username,
        passwordEncrypted: this.deps.secretBox.encrypt(body.password, passwordLocation(key)),
        settings: settings as Record<string, unknown>,
        prices: body.prices ?? null,
        managedBy,
      },
      this.deps.now(),
    );
    this.deps.onChange?.();
    return licensingServerView(record);
  }

  async getLicensingServer(key: string) {
    return licensingServerView(await this.requireLicensingServer(key));
  }

  async listLicensingServers() {
    return (await this.deps.licensingServers.list()).map(licensingServerView);
  }

  async deleteLicensingServer(key: string): Promise<void> {
    assertWriterMayChange('api', await this.requireLicensingServer(key), `licensing server "${key}"`);
    const plans = await this.deps.tariffPlans.list({ licensingServer: key });
    const rules = await this.deps.periodComparisons.list({ licensingServer: key });
    const inUse = {
      tariffPlans: plans.map((p) => p.key),
      periodComparisons: rules.map((r) => r.id),
      licenses: await this.deps.licenses.countHeldAt(key),
    };
    if (inUse.tariffPlans.length || inUse.periodComparisons.length || inUse.licenses) {
      throw new ConflictError(`licensing server "${key}" is still in use`, inUse, 'in_use');
    }
    await this.deleteOrConflict(() => this.deps.licensingServers.delete(key), `licensing server "${key}"`);
  }

  /** The decrypted connection a module needs; never leaves the process. */
  async connectionOf(key: string): Promise<LicensingServerConnection & { module: string }> {
    const record = await this.requireLicensingServer(key);
    return {
      module: record.module,
      url: record.url,
      username: record.username,
      password: this.deps.secretBox.decrypt(record.passwordEncrypted, passwordLocation(record.key)),
      settings: record.settings,
    };
  }

  async putEnumeration(key: string, body: EnumerationBody, { managedBy = 'api' }: CatalogWriteOptions = {}) {
    assertWriterMayChange(managedBy, await this.deps.enumerations.get(key), `enumeration "${key}"`);
    const values = body.values.map((v) => ({
      key: v.key,
      name: v.name,
      internalName: v.internalName,
      periods: v.periods ?? null,
    }));
    const plans = await this.deps.tariffPlans.list({ enumeration: key });
    const orphaned = plans.filter((plan) => !values.some((v) => v.key === plan.defaultValue));
    if (orphaned.length) {
      throw new RuleViolationError('a tariff plan uses a default value this enumeration no longer has', {
        tariffPlans: orphaned.map((p) => ({ key: p.key, defaultValue: p.defaultValue })),
      });
    }
    await assertCatalogConsistent(this.deps, { enumeration: { key, values } });
    const saved = await this.deps.enumerations.upsert({ key, name: body.name, values, managedBy }, this.deps.now());
    this.deps.onChange?.();
    return enumerationView(saved);
  }

  async getEnumeration(key: string) {
    return enumerationView(await this.requireEnumeration(key));
  }

  async listEnumerations() {
    return (await this.deps.enumerations.list()).map(enumerationView);
  }

  async deleteEnumeration(key: string): Promise<void> {
    assertWriterMayChange('api', await this.requireEnumeration(key), `enumeration "${key}"`);
    const plans = await this.deps.tariffPlans.list({ enumeration: key });
    if (plans.length)
      throw new ConflictError(
        `enumeration "${key}" is still in use`,
        { tariffPlans: plans.map((p) => p.key) },
        'in_use',
      );
    await this.deleteOrConflict(() => this.deps.enumerations.delete(key), `enumeration "${key}"`);
  }

  async putTariffPlan(key: string, body: TariffPlanBody, { managedBy = 'api' }: CatalogWriteOptions = {}) {
    assertWriterMayChange(managedBy, await this.deps.tariffPlans.get(key), `tariff plan "${key}"`);
    if (!(await this.deps.licensingServers.get(body.licensingServer))) {
      throw unknownReference('licensingServer', body.licensingServer);
    }
    const enumeration = await this.deps.enumerations.get(body.enumeration);
    if (!enumeration) throw unknownReference('enumeration', body.enumeration);
    if (!enumeration.values.some((v) => v.key === body.defaultValue))
      throw unknownReference('defaultValue', body.defaultValue);
    const rulesOfPlan = await this.deps.periodComparisons.list({ tariffPlan: key });
    const strayRule = rulesOfPlan.find((rule) => rule.licensingServer !== body.licensingServer);
    if (strayRule) {
      throw new RuleViolationError('a period comparison scoped to this plan belongs to another licensing server', {
        rule: strayRule.id,
      });
    }
    await assertCatalogConsistent(this.deps, { plan: { key, ...body, managedBy } });
    const saved = await this.deps.tariffPlans.upsert({ key, ...body, managedBy }, this.deps.now());
    this.deps.onChange?.();
    return tariffPlanView(saved);
  }

  async getTariffPlan(key: string) {
    return tariffPlanView(await this.requireTariffPlan(key));
  }

  async listTariffPlans() {
    return (await this.deps.tariffPlans.list()).map(tariffPlanView);
  }

  async deleteTariffPlan(key: string): Promise<void> {
    assertWriterMayChange('api', await this.requireTariffPlan(key), `tariff plan "${key}"`);
    const rules = await this.deps.periodComparisons.list({ tariffPlan: key });
    const services = await this.deps.services.listOpenOnPlan(key, 20);
    if (rules.length || services.length) {
      throw new ConflictError(
        `tariff plan "${key}" is still in use`,
        { periodComparisons: rules.map((r) => r.id), services },
        'in_use',
      );
    }
    await this.deleteOrConflict(() => this.deps.tariffPlans.delete(key), `tariff plan "${key}"`);
  }

  /**
   * Hands every config-managed entry the file no longer declares over to the API (it stays, and the API may now change
   * or delete it); returns the keys handed over, per kind.
   */
  async handOverToApi(fileKeys: ConfigCatalogKeys) {
    const handedOver = {
      licensingServers: await this.deps.licensingServers.handOverToApi(fileKeys.licensingServers),
      enumerations: await this.deps.enumerations.handOverToApi(fileKeys.enumerations),
      tariffPlans: await this.deps.tariffPlans.handOverToApi(fileKeys.tariffPlans),
    };
    this.deps.onChange?.();
    return handedOver;
  }

  private async deleteOrConflict(remove: () => Promise<boolean>, what: string): Promise<void> {
    try {
      await remove();
      this.deps.onChange?.();
    } catch (error) {
      if (isForeignKeyViolation(error)) throw new ConflictError(`${what} is still in use`, null, 'in_use');
      throw error;
    }
  }

  private async requireLicensingServer(key: string) {
    const record = await this.deps.licensingServers.get(key);
    if (!record) throw new NotFoundError(`no licensing server "${key}"`);
    return record;
  }

  private async requireEnumeration(key: string) {
    const record = await this.deps.enumerations.get(key);
    if (!record) throw new NotFoundError(`no enumeration "${key}"`);
    return record;
  }

  private async requireTariffPlan(key: string) {
    const record = await this.deps.tariffPlans.get(key);
    if (!record) throw new NotFoundError(`no tariff plan "${key}"`);
    return record;
  }
}
