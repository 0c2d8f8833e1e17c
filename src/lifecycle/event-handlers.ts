import type { OperationResult, ServiceFacts, ServiceStatus } from '../domain/lifecycle';
import { licenseNameFor } from '../domain/lifecycle';
import { ADOPT_EVENT } from '../domain/adoption';
import { isManualEvent } from '../domain/manual-actions';
import { isTrial } from '../domain/period';
import { UpstreamError, UpstreamNotFoundError } from '../domain/upstream-errors';
import type { LicenseRecord, OperationMoveContext } from '../db/license-store';
import type { OperationRecord } from '../db/operation-store';
import type { ServicePatch, ServiceRecord } from '../db/service-store';
import { RuleViolationError } from '../errors';
import type { Checkpointer } from './checkpointer';
import { LicenseAcquirer, type ServiceTarget } from './license-acquirer';
import { resolveLicenseNeed, type LicenseNeed, type LicenseRequirement } from './license-need';
import { LicenseSteps } from './license-steps';
import type { LifecycleDeps } from './lifecycle-deps';
import { adoptLicense } from './adoption';
import { ManualActions } from './manual-actions';

/** What an operation decided; the runner commits it with the operation's final status in one transaction. */
export interface HandlerOutcome {
  result: OperationResult;
  servicePatch: ServicePatch;
  /** The license to bind to the service. */
  bindLicenseId: string | null;
}

/** The service as this operation sees it: what we knew, overlaid with what the hook says. */
export interface ServiceView {
  id: string;
  name: string | null;
  ip: string | null;
  tariffPlan: string | null;
  period: ServiceRecord['period'];
  paidUntil: Date | null;
  controlPanel: string | null;
  status: ServiceStatus;
}

const STATUS_AFTER: Partial<Record<OperationRecord['event'], ServiceStatus>> = {
  open: 'active',
  suspend: 'suspended',
  resume: 'active',
  close: 'closed',
};

/** Applies one operation's event to the service's license (SPEC "Lifecycle"). */
export class EventHandlers {
  constructor(
    private readonly deps: LifecycleDeps,
    private readonly op: OperationRecord,
    /** The attempt's checkpoints: every write of the attempt goes through them, its outcome's too. */
    private readonly checkpoints: Checkpointer,
  ) {}

  async run(): Promise<HandlerOutcome> {
    const { event, serviceId } = this.op;
    // A person's operation (a license by hand, a service's license again, a pool order) has handlers of its own.
    if (isManualEvent(event)) return new ManualActions(this.deps, this.op, this.checkpoints).run();
    if (event === ADOPT_EVENT) return adoptLicense(this.deps, this.op, this.checkpoints);
    if (serviceId === null) throw new RuleViolationError(`a "${event}" operation needs a service`);
    const stored = await this.deps.services.get(serviceId);
    const service = overlay(serviceId, stored, this.op.payload, STATUS_AFTER[event]);
    const held = await this.deps.licenses.findByService(service.id);
    // Reserved by an earlier attempt of this operation: still being acquired; the acquirer picks it up again.
    const license = held?.state === 'reserved' && held.operationId === this.op.id ? null : held;
    const done = (bound: LicenseRecord | null, source: OperationResult['source'] = 'none'): HandlerOutcome => ({
      result: resultOf(bound, source),
      servicePatch: patchOf(this.op.payload, STATUS_AFTER[this.op.event]),
      bindLicenseId: bound?.id ?? null,
    });
    switch (event) {
      case 'open':
        return this.provide(service, license, done);
      case 'prolong':
      case 'renew': {
        const renewed = await this.renew(service, license);
        return done(renewed.license, renewed.source);
      }
      case 'suspend':
        return done(
          license && this.deps.settings.suspendWithService
            ? await (await this.steps(license)).suspend(license, 'suspend')
            : license,
        );
      case 'resume':
        return done(license ? await this.resume(service, license) : null);
      case 'close':
        if (license) await this.release(license, service.paidUntil);
        return done(null);
      case 'setparam':
        // Before any open (or after close) there is nothing to change upstream; the facts are kept for later.
        if (service.status === 'closed' || service.status === 'pending') return done(license);
        return this.provide(service, license, done);
    }
  }

  /**
   * Open, and setparam on an open service: the service ends with the license its value needs (its own if it
   * matches, else the old one released and one taken from the pool or ordered), or none for `nopanel`.
   */
  private async provide(
    service: ServiceView,
    license: LicenseRecord | null,
    done: (l: LicenseRecord | null, s?: OperationResult['source']) => HandlerOutcome,
  ) {
    const need = await resolveLicenseNeed(this.deps, service);
    if (license && !matches(license, need)) {
      await this.release(license, service.paidUntil);
      license = null;
    }
    if (need.kind === 'none') return done(null);
    if (license) return done(await this.conform(license, service, need));
    const acquired = await this.acquire(service, need);
    return done(acquired.license, acquired.source);
  }

  /**
   * Keeps a license paid for as long as the service is; a service with a panel but no license gets one. A trial is
   * never renewed (nor ordered again: the upstream gives one per IP).
   */
  private async renew(
    service: ServiceView,
    license: LicenseRecord | null,
  ): Promise<{ license: LicenseRecord | null; source: OperationResult['source'] }> {
    const unchanged = { license, source: 'none' as const };
    if (service.status === 'closed' || (this.op.event === 'renew' && service.status !== 'active')) return unchanged;
    const need = await resolveLicenseNeed(this.deps, service);
    if (need.kind === 'none' || isTrial(need.period) || isTrial(license?.period)) return unchanged;
    if (!license) return service.status === 'active' ? this.acquire(service, need) : unchanged;
    if (!service.paidUntil || !matches(license, need)) return unchanged;
    const steps = await this.steps(license);
    return {
      license: await steps.renewToCover(license, service.paidUntil, need.period, service.tariffPlan),
      source: 'none',
    };
  }

  private async resume(service: ServiceView, license: LicenseRecord): Promise<LicenseRecord> {
    const steps = await this.steps(license);
    let current = await steps.refresh(license);
    const now = this.deps.now();
    const need = await resolveLicenseNeed(this.deps, service);
    if (
      need.kind === 'license' &&
      !isTrial(need.period) &&
      current.paidUntil &&
      current.paidUntil < now &&
      service.paidUntil &&
      service.paidUntil > now
    ) {
      current = await steps.renewToCover(current, service.paidUntil, need.period, service.tariffPlan);
      current = await steps.refresh(current);
    }
    return this.deps.settings.suspendWithService ? steps.resume(current, 'resume') : current;
  }

  /** A license the service already holds: make it carry the service's IP and name and cover its paid time. */
  private async conform(license: LicenseRecord, service: ServiceView, need: LicenseRequirement) {
    const steps = await this.steps(license);
    let current = license;
    // One edit for both (under the IP step's reference, so an attempt from before the merge is settled by it).
    const wanted = { ...(service.ip ? { ip: service.ip } : {}), name: licenseNameFor(service) };
    current = await steps.setIpAndName(current, wanted, 'ip');
    if (service.paidUntil && !isTrial(need.period))
      current = await steps.renewToCover(current, service.paidUntil, need.period, service.tariffPlan);
    return current;
  }

  private async acquire(service: ServiceView, need: LicenseRequirement) {
    if (!service.ip)
      throw new RuleViolationError('the service has no IP to put on a license', { field: 'ip' }, 'invalid_service');
    const { id, name, ip, paidUntil, tariffPlan } = service;
    const target: ServiceTarget = { id, name, ip, paidUntil, tariffPlan };
    const module = await this.deps.modules.forServer(need.licensingServer);
    const firstAttempt = this.op.attempts <= 1;
    return new LicenseAcquirer(this.deps, this.checkpoints, this.op.id, module, firstAttempt).acquire(target, need);
  }

  /**
   * Pooled when paid past the service and past now (plus the margin), otherwise deleted upstream. A trial is always
   * deleted upstream: it is never pooled.
   */
  private async release(held: LicenseRecord, servicePaidUntil: Date | null): Promise<void> {
    const steps = await this.steps(held);
    // Decide on what the upstream says now, not on what was last recorded: a wrong "unpaid" deletes a paid license.
    let license: LicenseRecord;
    try {
      license = await steps.refresh(held);
    } catch (error) {
      if (!(error instanceof UpstreamNotFoundError)) throw error;
      await this.checkpoints.write((trx) => this.deps.licenses.deleted(held.id, 'gone_upstream', this.by(), trx));
      return;
    }
    const now = this.deps.now();
    const keepAfter = Math.max(
      now.getTime() + this.deps.settings.poolMarginHours * 3600_000,
      servicePaidUntil?.getTime() ?? 0,
    );
    if (isTrial(held.period) || !license.paidUntil || license.paidUntil.getTime() <= keepAfter) {
      await steps.remove(license, 'release-remove');
      return;
    }
    let current = license;
    if (this.deps.settings.suspendPooledLicenses) {
      try {
        current = await steps.suspend(current, 'release-suspend');
      } catch (error) {
        if (!(error instanceof UpstreamError) || error.retryable) throw error;
        this.deps.logger.warn(
          { operationId: this.op.id, licenseId: license.id, code: error.code },
          'pooled license left active: suspend refused',
        );
      }
    }
    await this.checkpoints.write((trx) =>
      this.deps.licenses.pooled(current.id, { reason: 'released' }, this.by(), trx),
    );
  }

  /** Who moves licenses in this operation: the worker, now. */
  private by(): OperationMoveContext {
    return { actor: 'worker', at: this.deps.now(), operationId: this.op.id };
  }

  private async steps(license: LicenseRecord): Promise<LicenseSteps> {
    return new LicenseSteps(
      this.deps,
      this.checkpoints,
      this.op.id,
      await this.deps.modules.forServer(license.licensingServer),
    );
  }
}

function matches(license: LicenseRecord, need: LicenseNeed): boolean {
  return (
    need.kind === 'license' && license.licensingServer === need.licensingServer && license.priceList === need.priceList
  );
}

function overlay(
  id: string,
  stored: ServiceRecord | null,
  facts: ServiceFacts,
  status: ServiceStatus | undefined,
): ServiceView {
  return {
    id,
    name: facts.name ?? stored?.name ?? null,
    ip: facts.ip ?? stored?.ip ?? null,
    tariffPlan: facts.tariffPlan ?? stored?.tariffPlan ?? null,
    period: facts.period ?? stored?.period ?? null,
    paidUntil: facts.paidUntil ? new Date(facts.paidUntil) : (stored?.paidUntil ?? null),
    controlPanel: facts.controlPanel ?? stored?.controlPanel ?? null,
    status: status ?? stored?.status ?? 'pending',
  };
}

function patchOf(facts: ServiceFacts, status: ServiceStatus | undefined): ServicePatch {
  return {
    ...(facts.name !== undefined ? { name: facts.name } : {}),
    ...(facts.ip !== undefined ? { ip: facts.ip } : {}),
    ...(facts.tariffPlan !== undefined ? { tariffPlan: facts.tariffPlan } : {}),
    ...(facts.period !== undefined ? { period: facts.period } : {}),
    ...(facts.paidUntil !== undefined ? { paidUntil: new Date(facts.paidUntil) } : {}),
    ...(facts.controlPanel !== undefined ? { controlPanel: facts.controlPanel } : {}),
    ...(status ? { status } : {}),
  };
}

function resultOf(license: LicenseRecord | null, source: OperationResult['source']): OperationResult {
  return {
    licenseId: license?.id ?? null,
    upstreamId: license?.upstreamId ?? null,
    source: license ? source : 'none',
    paidUntil: license?.paidUntil?.toISOString() ?? null,
  };
}
