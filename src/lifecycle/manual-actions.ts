import type { OperationResult } from '../domain/lifecycle';
import { poolLicenseName, type ManualRequest } from '../domain/manual-actions';
import type { LicenseRecord, OperationMoveContext } from '../db/license-store';
import type { OperationRecord } from '../db/operation-store';
import { ConflictError, NotFoundError, RuleViolationError } from '../errors';
import { adoptLicense } from './adoption';
import type { Checkpointer } from './checkpointer';
import type { HandlerOutcome } from './event-handlers';
import { LicenseAcquirer } from './license-acquirer';
import { resolveLicenseNeed } from './license-need';
import { LicenseSteps } from './license-steps';
import type { LifecycleDeps } from './lifecycle-deps';
import { priceNow } from './pricing';

type LicenseRequest = Extract<ManualRequest, { kind: 'license' }>;
type PoolOrderRequest = Extract<ManualRequest, { kind: 'pool-order' }>;

/**
 * Runs the operations a person asks for (CONTRACT.md "Licenses by hand"): an action on one license, a service's
 * license given again, an order into the pool. Every upstream call goes through the same checkpointed steps as the
 * hooks' (`LicenseSteps`, `LicenseAcquirer`), under the operation's lease, with the renewal limit and the daily cap.
 * The request was checked when it was made; what may have changed since (the license deleted or bound meanwhile) is
 * checked again here and ends the operation for a person.
 */
export class ManualActions {
  constructor(
    private readonly deps: LifecycleDeps,
    private readonly op: OperationRecord,
    private readonly checkpoints: Checkpointer,
  ) {}

  async run(): Promise<HandlerOutcome> {
    const request = this.op.request;
    if (!request) throw new RuleViolationError(`operation ${this.op.id} (${this.op.event}) carries no request`);
    switch (request.kind) {
      case 'license':
        return this.onLicense(request);
      case 'provide':
        return this.provide();
      case 'pool-order':
        return this.orderIntoPool(request);
      case 'adopt':
        return adoptLicense(this.deps, this.op, this.checkpoints);
    }
  }

  private async onLicense(request: LicenseRequest): Promise<HandlerOutcome> {
    const license = await this.deps.licenses.get(request.licenseId);
    if (!license) throw new NotFoundError(`no license "${request.licenseId}"`);
    if (license.state === 'released' || license.status === 'deleted')
      throw new ConflictError(`license ${license.id} is deleted`, { licenseId: license.id }, 'invalid_state');
    const steps = await this.steps(license);
    let current: LicenseRecord | null = license;
    switch (request.action) {
      case 'renew': {
        // Its cost is recorded under the tariff plan of the service that holds the license, if one does.
        const holder = license.serviceId ? await this.deps.services.get(license.serviceId) : null;
        const plan = holder?.tariffPlan ?? null;
        current = await steps.renewToCover(license, new Date(request.renewUntil!), request.period!, plan);
        break;
      }
      case 'suspend':
        current = await steps.suspend(license, 'manual-suspend');
        break;
      case 'resume':
        current = await steps.resume(license, 'manual-resume');
        break;
      case 'regenerate-key':
        current = await steps.regenerateKey(license, 'manual-key');
        break;
      case 'change-ip':
        current = await steps.changeIp(license, request.ip!, 'manual-ip');
        break;
      case 'delete':
        if (license.serviceId !== null)
          throw new ConflictError(
            `license ${license.id} is held by service ${license.serviceId}`,
            { licenseId: license.id, serviceId: license.serviceId },
            'license_bound',
          );
        await steps.remove(license, 'manual-remove');
        current = await this.deps.licenses.get(license.id);
        break;
    }
    return { result: resultOf(current, 'none'), servicePatch: {}, bindLicenseId: null };
  }

  /**
   * `service.provide`: the service gets a license again as `open` would give it one (pool first, else an order).
   * A bound license known to be deleted upstream is let go first; a live one means there is nothing to provide.
   */
  private async provide(): Promise<HandlerOutcome> {
    const serviceId = this.op.serviceId;
    const service = serviceId ? await this.deps.services.get(serviceId) : null;
    if (!service) throw new NotFoundError(`no service "${serviceId}"`);
    const held = await this.deps.licenses.findByService(service.id);
    // Reserved by an earlier attempt of this operation: the acquirer picks it up again.
    const mine = held?.state === 'reserved' && held.operationId === this.op.id;
    if (held && !mine) {
      if (held.status !== 'deleted')
        throw new ConflictError(
          `service ${service.id} holds the live license ${held.id}`,
          { serviceId: service.id, licenseId: held.id },
          'invalid_state',
        );
      await this.checkpoints.write((trx) => this.deps.licenses.deleted(held.id, 'gone_upstream', this.by(), trx));
    }
    const need = await resolveLicenseNeed(this.deps, service);
    if (need.kind === 'none')
      throw new ConflictError(`service ${service.id} has no control panel`, { serviceId: service.id }, 'invalid_state');
    if (!service.ip)
      throw new RuleViolationError('the service has no IP to put on a license', { field: 'ip' }, 'invalid_service');
    const module = await this.deps.modules.forServer(need.licensingServer);
    const acquired = await new LicenseAcquirer(this.deps, this.checkpoints, this.op.id, module).acquire(
      {
        id: service.id,
        name: service.name,
        ip: service.ip,
        paidUntil: service.paidUntil,
        tariffPlan: service.tariffPlan,
      },
      need,
    );
    return {
      result: resultOf(acquired.license, acquired.source),
      servicePatch: {},
      bindLicenseId: acquired.license.id,
    };
  }

  /**
   * `pool.order`: one paid order (checkpointed with its reference, counted against the daily cap, never made twice),
   * read back, then the license goes to the pool under the id fixed when the order was asked for.
   */
  private async orderIntoPool(request: PoolOrderRequest): Promise<HandlerOutcome> {
    const module = await this.deps.modules.forServer(request.licensingServer);
    if (!(await this.deps.licenses.get(request.licenseId))) {
      const reference = await this.checkpoints.nextReference(`${this.op.id}.order`);
      const price = await priceNow(this.deps, request.licensingServer, request.priceList, request.period);
      const params = {
        priceList: request.priceList,
        period: request.period,
        ip: request.ip,
        name: poolLicenseName(request.licenseId),
        reference,
      };
      await this.checkpoints.perform({
        kind: 'order',
        reference,
        licenseId: null,
        request: { ...params },
        paidAt: request.licensingServer,
        call: async () => ({ upstreamId: (await module.order(params)).upstreamId }),
        reconcile: async () => {
          const found = await module.findByReference({ reference });
          return found ? { upstreamId: found.upstreamId } : null;
        },
        onDone: async (trx, done) => {
          await this.deps.licenses.ordered(
            {
              id: request.licenseId,
              licensingServer: request.licensingServer,
              upstreamId: done.upstreamId,
              priceList: request.priceList,
              period: request.period,
              ip: request.ip,
              name: params.name,
              serviceId: null,
              orderReference: reference,
              cost: { price, tariffPlan: null },
            },
            this.by(),
            trx,
          );
        },
      });
    }
    let license = (await this.deps.licenses.get(request.licenseId))!;
    if (license.state === 'reserved') {
      const steps = new LicenseSteps(this.deps, this.checkpoints, this.op.id, module);
      const read = await steps.readBack(license, 'order');
      if (read.status === 'ordered' || read.status === 'processing') throw steps.stillProcessing(read);
      license =
        (await this.checkpoints.write((trx) =>
          this.deps.licenses.pooled(license.id, { reason: 'ordered' }, this.by(), trx),
        )) ?? read;
    }
    return { result: resultOf(license, 'order'), servicePatch: {}, bindLicenseId: null };
  }

  private async steps(license: LicenseRecord): Promise<LicenseSteps> {
    const module = await this.deps.modules.forServer(license.licensingServer);
    return new LicenseSteps(this.deps, this.checkpoints, this.op.id, module);
  }

  /** Who moves licenses in this operation: the worker, now. */
  private by(): OperationMoveContext {
    return { actor: 'worker', at: this.deps.now(), operationId: this.op.id };
  }
}

function resultOf(license: LicenseRecord | null, source: OperationResult['source']): OperationResult {
  return {
    licenseId: license?.id ?? null,
    upstreamId: license?.upstreamId ?? null,
    source: license ? source : 'none',
    paidUntil: license?.paidUntil?.toISOString() ?? null,
  };
}
