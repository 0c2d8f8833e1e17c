import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { orderablePeriodsOf } from '../domain/catalog-consistency';
import { addMonths } from '../domain/lifecycle';
import type { LicenseAction, ManualRequest } from '../domain/manual-actions';
import { formatPeriod, type Period } from '../domain/period';
import type { LicenseRecord } from '../db/license-store';
import type { LicensingServerStore } from '../db/licensing-server-store';
import type { NewOperation, OperationRecord } from '../db/operation-store';
import type { TariffPlanStore } from '../db/tariff-plan-store';
import { ConflictError, InvalidInputError, NotFoundError, RuleViolationError } from '../errors';
import { resolveLicenseNeed } from './license-need';
import type { LifecycleDeps } from './lifecycle-deps';

/** A person's action on one license, as the route received it. */
export interface LicenseActionAsk {
  action: LicenseAction;
  /** `renew`: the period of the renewal (default: the license's own). */
  period?: Period;
  /** `change-ip`: the new IP. */
  ip?: string;
}

/** `POST /v1/admin/pool/orders`: licenses to order straight into the pool. */
export interface PoolOrderAsk {
  licensingServer: string;
  priceList: string;
  period: Period;
  /** 1–100 licenses, each its own operation. */
  count: number;
  /** The IP each order carries; default the server's `settings.poolIp`, else `0.0.0.0`. */
  ip?: string;
}

export type ManualIntakeDeps = Pick<
  LifecycleDeps,
  'db' | 'services' | 'licenses' | 'operations' | 'enumerations' | 'tariffPlans' | 'periodComparisons' | 'now'
> & {
  licensingServers: Pick<LicensingServerStore, 'get'>;
  /** To find the price lists a licensing server's plans use. */
  tariffPlanList: Pick<TariffPlanStore, 'list'>;
};

/**
 * Turns what a person asks for into operations of the same pipeline as the hooks' (CONTRACT.md "Licenses by hand"):
 * checks it against what is known now (404, 409, 422 before anything is recorded), fixes what decides the money
 * (a renewal's target, a pool license's id), and commits the operation in the line of the license's service (or,
 * unbound, of the license itself).
 */
export class ManualIntake {
  constructor(private readonly deps: ManualIntakeDeps) {}

  async licenseAction(licenseId: string, ask: LicenseActionAsk): Promise<OperationRecord> {
    const license = await this.deps.licenses.get(licenseId);
    if (!license) throw new NotFoundError(`no license "${licenseId}"`);
    if (license.state === 'released' || license.status === 'deleted')
      throw invalidState(`license ${license.id} is deleted`, license);
    if (ask.action === 'delete' && license.serviceId !== null)
      throw new ConflictError(
        `license ${license.id} is held by service ${license.serviceId}: close the service, or move it to another value`,
        { licenseId: license.id, serviceId: license.serviceId },
        'license_bound',
      );
    const request: ManualRequest = { kind: 'license', action: ask.action, licenseId: license.id };
    if (ask.action === 'renew') Object.assign(request, this.renewal(license, ask.period));
    if (ask.action === 'change-ip') request.ip = ask.ip;
    return this.deps.db.transaction(async (trx) => {
      const now = this.deps.now();
      const serviceId = license.serviceId;
      const sequence = serviceId ? await this.deps.services.nextSequence(serviceId, now, trx) : 0;
      return this.create(
        { event: `license.${ask.action}`, serviceId, sequence, licenseId: license.id, request },
        { id: serviceId ?? license.id },
        trx,
      );
    });
  }

  /** `service.provide`: refused for a service without a control panel or with a live license bound. */
  async provide(serviceId: string): Promise<OperationRecord> {
    const service = await this.deps.services.get(serviceId);
    if (!service) throw new NotFoundError(`no service "${serviceId}"`);
    const held = await this.deps.licenses.findByService(serviceId);
    if (held && held.status !== 'deleted')
      throw new ConflictError(
        `service ${serviceId} holds the live license ${held.id}`,
        { serviceId, licenseId: held.id },
        'invalid_state',
      );
    if (service.status === 'closed' || service.status === 'pending')
      throw new ConflictError(`service ${serviceId} is ${service.status}`, { serviceId }, 'invalid_state');
    const need = await resolveLicenseNeed(this.deps, service);
    if (need.kind === 'none')
      throw new ConflictError(`service ${serviceId} has no control panel`, { serviceId }, 'invalid_state');
    return this.deps.db.transaction(async (trx) => {
      const sequence = await this.deps.services.nextSequence(serviceId, this.deps.now(), trx);
      return this.create(
        { event: 'service.provide', serviceId, sequence, request: { kind: 'provide' } },
        { id: serviceId },
        trx,
      );
    });
  }

  /** `pool.order` × count, all or none; each with the id its license will have. */
  async orderIntoPool(ask: PoolOrderAsk): Promise<OperationRecord[]> {
    const server = await this.deps.licensingServers.get(ask.licensingServer);
    if (!server)
      throw new RuleViolationError(
        `unknown licensing server "${ask.licensingServer}"`,
        { field: 'licensingServer' },
        'unknown_reference',
      );
    await this.checkOrderable(ask);
    const poolIp = typeof server.settings.poolIp === 'string' ? server.settings.poolIp : '0.0.0.0';
    return this.deps.db.transaction(async (trx) => {
      const created: OperationRecord[] = [];
      for (let i = 0; i < ask.count; i++) {
        const licenseId = crypto.randomUUID();
        const request: ManualRequest = {
          kind: 'pool-order',
          licensingServer: ask.licensingServer,
          priceList: ask.priceList,
          period: ask.period,
          ip: ask.ip ?? poolIp,
          licenseId,
        };
        created.push(
          await this.create({ event: 'pool.order', serviceId: null, sequence: 0, request }, { id: licenseId }, trx),
        );
      }
      return created;
    });
  }

  /** A renewal's period and target: one period past the later of its paid-until and now, fixed now. */
  private renewal(license: LicenseRecord, asked: Period | undefined): { period: Period; renewUntil: string } {
    if (license.period === 'trial')
      throw invalidState(`license ${license.id} is a trial: it is never renewed`, license);
    const period = asked ?? license.period;
    if (period === null)
      throw new InvalidInputError(`license ${license.id} has no recorded period: give one`, { field: 'period' });
    if (period === 'lifetime' || license.period === 'lifetime')
      throw invalidState(`license ${license.id}: a lifetime license is not renewed by hand`, license);
    if (!license.paidUntil)
      throw invalidState(`license ${license.id} has no known expiry yet (still being processed upstream)`, license);
    const now = this.deps.now();
    const from = license.paidUntil > now ? license.paidUntil : now;
    return { period, renewUntil: addMonths(from, period).toISOString() };
  }

  /** The price list must be one an enumeration value of this server's plans uses, orderable for the period. */
  private async checkOrderable(ask: PoolOrderAsk): Promise<void> {
    const plans = await this.deps.tariffPlanList.list({ licensingServer: ask.licensingServer });
    const values = [];
    for (const enumerationKey of new Set(plans.map((plan) => plan.enumeration))) {
      const enumeration = await this.deps.enumerations.get(enumerationKey);
      values.push(...(enumeration?.values.filter((v) => v.internalName === ask.priceList) ?? []));
    }
    if (!values.length)
      throw new RuleViolationError(
        `no tariff plan of licensing server "${ask.licensingServer}" uses price list ${ask.priceList}`,
        { field: 'priceList' },
        'unknown_price_list',
      );
    if (!values.some((value) => orderablePeriodsOf(value).includes(ask.period)))
      throw new RuleViolationError(
        `price list ${ask.priceList} is not ordered for ${formatPeriod(ask.period)} (its enumeration value's periods)`,
        { field: 'period' },
        'period_not_orderable',
      );
  }

  private create(
    op: Omit<NewOperation, 'id' | 'payload'>,
    payload: NewOperation['payload'],
    trx: Knex.Transaction,
  ): Promise<OperationRecord> {
    return this.deps.operations.create({ id: crypto.randomUUID(), payload, ...op }, this.deps.now(), trx);
  }
}

function invalidState(message: string, license: LicenseRecord): ConflictError {
  return new ConflictError(
    message,
    { licenseId: license.id, state: license.state, status: license.status },
    'invalid_state',
  );
}
