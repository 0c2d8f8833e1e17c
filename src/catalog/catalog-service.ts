import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { findCatalogProblems, orderablePeriodsOf, type CatalogProblem } from '../domain/catalog-consistency';
import type { LicensingModuleDefinition, LicensingServerConnection } from '../domain/licensing-module';
import { DEFAULT_ORDERABLE_PERIODS, type Period } from '../domain/period';
import { PeriodConfigurationError, resolveLicensePeriod, type PeriodRule } from '../domain/period-comparison';
import type { EnumerationRecord, EnumerationStore } from '../db/enumeration-store';
import type { LicensingServerStore } from '../db/licensing-server-store';
import { scopeKey, type PeriodComparisonStore } from '../db/period-comparison-store';
import type { TariffPlanRecord, TariffPlanStore } from '../db/tariff-plan-store';
import { isForeignKeyViolation, isUniqueViolation } from '../db/columns';
import { ConflictError, InvalidInputError, NotFoundError, RuleViolationError } from '../errors';
import type { SecretBox } from '../security/secret-box';
import type { EnumerationBody, LicensingServerBody, PeriodComparisonBody, TariffPlanBody } from './schemas';
import { enumerationView, licensingServerView, periodComparisonView, tariffPlanView } from './views';

export interface CatalogDependencies {
  db: Knex;
  licensingServers: LicensingServerStore;
  enumerations: EnumerationStore;
  tariffPlans: TariffPlanStore;
  periodComparisons: PeriodComparisonStore;
  secretBox: SecretBox;
  findModule: (id: string) => LicensingModuleDefinition | undefined;
  now: () => Date;
}

/**
 * The provider's catalog: licensing servers, enumerations, tariff plans and period comparisons. Every write is
 * checked against the rest of the catalog before it is saved (unknown references 422, duplicates 409, a period
 * comparison whose target a price list it meets cannot be ordered for 422), so the catalog is always usable.
 */
export class CatalogService {
  constructor(private readonly deps: CatalogDependencies) {}

  async putLicensingServer(key: string, body: LicensingServerBody) {
    const definition = this.deps.findModule(body.module);
    if (!definition)
      throw new RuleViolationError(`unknown module "${body.module}"`, { field: 'module' }, 'unknown_reference');
    let settings: unknown;
    try {
      settings = definition.parseSettings(body.settings);
    } catch (error) {
      throw new InvalidInputError(`invalid settings: ${(error as Error).message}`, { field: 'settings' });
    }
    const record = await this.deps.licensingServers.upsert(
      {
        key,
        module: body.module,
        url: body.url,
        username: body.username,
        passwordEncrypted: this.deps.secretBox.encrypt(body.password),
        settings: settings as Record<string, unknown>,
      },
      this.deps.now(),
    );
    return licensingServerView(record);
  }

  async getLicensingServer(key: string) {
    return licensingServerView(await this.requireLicensingServer(key));
  }

  async listLicensingServers() {
    return (await this.deps.licensingServers.list()).map(licensingServerView);
  }

  async deleteLicensingServer(key: string): Promise<void> {
    await this.requireLicensingServer(key);
    const plans = await this.deps.tariffPlans.list({ licensingServer: key });
    const rules = await this.deps.periodComparisons.list({ licensingServer: key });
    const licenses = await this.deps
      .db('licenses')
      .where({ licensing_server: key })
      .whereNot({ state: 'released' })
      .count<{ n: number }[]>({ n: '*' });
    const inUse = {
      tariffPlans: plans.map((p) => p.key),
      periodComparisons: rules.map((r) => r.id),
      licenses: Number(licenses[0]?.n ?? 0),
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
      password: this.deps.secretBox.decrypt(record.passwordEncrypted),
      settings: record.settings,
    };
  }

  async putEnumeration(key: string, body: EnumerationBody) {
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
    await this.assertConsistent({ enumeration: { key, values } });
    return enumerationView(await this.deps.enumerations.upsert({ key, name: body.name, values }, this.deps.now()));
  }

  async getEnumeration(key: string) {
    return enumerationView(await this.requireEnumeration(key));
  }

  async listEnumerations() {
    return (await this.deps.enumerations.list()).map(enumerationView);
  }

  async deleteEnumeration(key: string): Promise<void> {
    await this.requireEnumeration(key);
    const plans = await this.deps.tariffPlans.list({ enumeration: key });
    if (plans.length)
      throw new ConflictError(
        `enumeration "${key}" is still in use`,
        { tariffPlans: plans.map((p) => p.key) },
        'in_use',
      );
    await this.deleteOrConflict(() => this.deps.enumerations.delete(key), `enumeration "${key}"`);
  }

  async putTariffPlan(key: string, body: TariffPlanBody) {
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
    await this.assertConsistent({ plan: { key, ...body } });
    return tariffPlanView(await this.deps.tariffPlans.upsert({ key, ...body }, this.deps.now()));
  }

  async getTariffPlan(key: string) {
    return tariffPlanView(await this.requireTariffPlan(key));
  }

  async listTariffPlans() {
    return (await this.deps.tariffPlans.list()).map(tariffPlanView);
  }

  async deleteTariffPlan(key: string): Promise<void> {
    await this.requireTariffPlan(key);
    const rules = await this.deps.periodComparisons.list({ tariffPlan: key });
    const services = await this.deps
      .db('services')
      .where({ tariff_plan: key })
      .whereNot({ status: 'closed' })
      .select('id')
      .limit(20);
    if (rules.length || services.length) {
      throw new ConflictError(
        `tariff plan "${key}" is still in use`,
        { periodComparisons: rules.map((r) => r.id), services: services.map((s) => s.id) },
        'in_use',
      );
    }
    await this.deleteOrConflict(() => this.deps.tariffPlans.delete(key), `tariff plan "${key}"`);
  }

  /** Creates a rule; with `replaceTarget`, a rule of the same scope and source gets the new target instead of 409. */
  async createPeriodComparison(body: PeriodComparisonBody, options: { replaceTarget?: boolean } = {}) {
    const rule = await this.ruleFromBody(body);
    const existing = (await this.deps.periodComparisons.list({ licensingServer: rule.licensingServer })).find(
      (r) => scopeKey(r) === scopeKey(rule) && r.sourcePeriod === rule.sourcePeriod,
    );
    if (existing && !options.replaceTarget) {
      throw new ConflictError(
        'a period comparison with the same scope and source exists',
        { rule: existing.id },
        'duplicate_rule',
      );
    }
    if (existing) {
      if (existing.targetPeriod === rule.targetPeriod) return periodComparisonView(existing);
      await this.assertConsistent({ rule: { ...rule, id: existing.id }, replacing: existing.id });
      await this.deps.periodComparisons.updateTarget(existing.id, rule.targetPeriod);
      return periodComparisonView((await this.deps.periodComparisons.get(existing.id))!);
    }
    await this.assertConsistent({ rule });
    try {
      return periodComparisonView(await this.deps.periodComparisons.insert(rule, this.deps.now()));
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
    if (!(await this.deps.periodComparisons.delete(id))) throw new NotFoundError(`no period comparison "${id}"`);
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
      id: crypto.randomUUID(),
      licensingServer: body.licensingServer,
      sourcePeriod: body.sourcePeriod,
      targetPeriod: body.targetPeriod,
      tariffPlan,
      productType,
    };
  }

  /** Checks the catalog as it would be after the change; 422 naming every problem otherwise. */
  private async assertConsistent(change: {
    plan?: Omit<TariffPlanRecord, 'createdAt' | 'updatedAt'>;
    enumeration?: Pick<EnumerationRecord, 'key' | 'values'>;
    rule?: PeriodRule;
    replacing?: string;
  }): Promise<void> {
    const plans = (await this.deps.tariffPlans.list()).filter((p) => p.key !== change.plan?.key);
    if (change.plan) plans.push({ ...change.plan, createdAt: '', updatedAt: '' });
    const enumerations = new Map((await this.deps.enumerations.list()).map((e) => [e.key, e.values] as const));
    if (change.enumeration) enumerations.set(change.enumeration.key, change.enumeration.values);
    const rules: PeriodRule[] = (await this.deps.periodComparisons.list()).filter((r) => r.id !== change.replacing);
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

  private async deleteOrConflict(remove: () => Promise<boolean>, what: string): Promise<void> {
    try {
      await remove();
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

function unknownReference(field: string, value: string): RuleViolationError {
  return new RuleViolationError(`unknown ${field} "${value}"`, { field, value }, 'unknown_reference');
}
