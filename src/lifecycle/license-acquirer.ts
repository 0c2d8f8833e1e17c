import crypto from 'node:crypto';
import type { LicensingServerModule } from '../domain/licensing-module';
import { licenseNameFor } from '../domain/lifecycle';
import { isTrial } from '../domain/period';
import { poolEligibility } from '../domain/pool-eligibility';
import { UpstreamError, UpstreamNotFoundError, UpstreamRejectedError } from '../domain/upstream-errors';
import type { LicenseRecord, OperationMoveContext, OrderedLicense, PoolClaim } from '../db/license-store';
import type { UpstreamActionRecord } from '../db/upstream-action-store';
import type { Checkpointer } from './checkpointer';
import type { LifecycleDeps } from './lifecycle-deps';
import type { LicenseRequirement } from './license-need';
import { LicenseSteps } from './license-steps';
import { priceNow } from './pricing';

export interface ServiceTarget {
  id: string;
  name: string | null;
  ip: string;
  paidUntil: Date | null;
  /** Its tariff plan, which the costs of its license are recorded under. */
  tariffPlan: string | null;
}

export interface Acquired {
  license: LicenseRecord;
  source: 'pool' | 'order';
}

/**
 * Gives a service a license of the needed price list: a paid, unused one from the pool when one is eligible,
 * otherwise a new order. The license ends reserved by the operation, bound to the service's IP and name, with a
 * fresh key (for reuse), active, and paid until at least the service's paid-until date. A trial need is always a
 * new trial order, left at the trial's own expiry.
 */
export class LicenseAcquirer {
  private readonly steps: LicenseSteps;

  constructor(
    private readonly deps: LifecycleDeps,
    private readonly checkpoints: Checkpointer,
    private readonly operationId: string,
    private readonly module: LicensingServerModule,
    /** The operation's first claim: no earlier attempt can have reserved a license for it. */
    private readonly firstAttempt = false,
  ) {
    this.steps = new LicenseSteps(deps, checkpoints, operationId, module);
  }

  async acquire(service: ServiceTarget, need: LicenseRequirement): Promise<Acquired> {
    // What earlier attempts of this operation did upstream: orders to settle or finish, licenses half reused.
    const earlier = await this.deps.upstreamActions.listByOperation(this.operationId);
    const orders = earlier.filter((a) => a.kind === 'order' && a.state !== 'failed');
    // An order whose outcome is unknown is settled first (looked up upstream): it may have been paid for.
    if (orders.some((a) => a.state === 'intended'))
      return { license: await this.order(service, need), source: 'order' };
    const ordered = await this.orderedEarlier(
      orders.map((a) => String(a.response?.upstreamId)),
      service,
      need,
    );
    if (ordered) return { license: await this.finishOrder(ordered, service, need), source: 'order' };
    // A trial is always a new trial order (one per IP upstream): never a pooled license.
    const reused = isTrial(need.period) ? null : await this.fromPool(service, need, earlier);
    if (reused) return { license: reused, source: 'pool' };
    return { license: await this.order(service, need), source: 'order' };
  }

  /**
   * A license an earlier attempt of this operation ordered and still holds, or gave back to the pool when it failed
   * (a person's retry): it is taken back before anything may be ordered again. A license that another service has
   * used since (another IP) is left to the pool.
   */
  private async orderedEarlier(
    upstreamIds: string[],
    service: ServiceTarget,
    need: LicenseRequirement,
  ): Promise<LicenseRecord | null> {
    for (const upstreamId of upstreamIds) {
      const license = await this.deps.licenses.findByUpstream(need.licensingServer, upstreamId);
      if (license?.state === 'reserved' && license.operationId === this.operationId) return license;
      if (license?.state === 'pooled' && license.ip === service.ip) {
        const reclaimed = await this.reclaim(license, service);
        if (reclaimed) return reclaimed;
      }
    }
    return null;
  }

  private async fromPool(
    service: ServiceTarget,
    need: LicenseRequirement,
    earlier: UpstreamActionRecord[],
  ): Promise<LicenseRecord | null> {
    const skip: string[] = [];
    // A reuse avoids the order the need would otherwise have placed: its price now is the cost avoided.
    const price = await priceNow(this.deps, need.licensingServer, need.priceList, need.period);
    const avoided = { price, tariffPlan: service.tariffPlan, period: need.period };
    for (;;) {
      const reservedEarlier = this.firstAttempt ? null : await this.deps.licenses.findReservedBy(this.operationId);
      const earlierCandidate = reservedEarlier ?? (await this.preparedEarlier(service, need, earlier, skip, avoided));
      const candidate = earlierCandidate ?? (await this.claim(service, need, skip, avoided));
      if (!candidate) return null;
      try {
        return await this.reuse(candidate, service, need, earlierCandidate === null);
      } catch (error) {
        if (!refusesThisLicense(error)) throw error;
        skip.push(candidate.id);
        await this.giveBack(candidate, error);
      }
    }
  }

  /**
   * The eligible pooled license expiring soonest, claimed under the lease (a worker that lost it cannot claim). The
   * candidates are read outside any transaction: an empty pool costs one read and no commit.
   */
  private claim(
    service: ServiceTarget,
    need: LicenseRequirement,
    skip: readonly string[],
    avoided: PoolClaim['avoided'],
  ): Promise<LicenseRecord | null> {
    const by = this.by();
    const eligibility = poolEligibility(by.at, this.deps.settings.poolMarginHours);
    const { licensingServer, priceList } = need;
    const holder = { ip: service.ip, operationId: this.operationId, serviceId: service.id, avoided };
    const claim = { ...eligibility, licensingServer, priceList, ...holder };
    return this.deps.licenses.claimFromPool(claim, by, skip, undefined, (work) => this.checkpoints.write(work));
  }

  /**
   * A pooled license an earlier attempt of this operation had begun to reuse (moved to the service's IP, key already
   * regenerated for it) before the attempt failed and gave it back: its fresh cooldowns keep it from every other
   * claim, so a person's retry takes it back first. One that has moved to another IP since is left to the pool.
   */
  private async preparedEarlier(
    service: ServiceTarget,
    need: LicenseRequirement,
    earlier: UpstreamActionRecord[],
    skip: readonly string[],
    avoided: PoolClaim['avoided'],
  ): Promise<LicenseRecord | null> {
    for (const action of earlier) {
      if (action.kind !== 'regenerate_key' || action.state !== 'done' || !action.licenseId) continue;
      const license = await this.deps.licenses.get(action.licenseId);
      const fits =
        license?.state === 'pooled' &&
        license.ip === service.ip &&
        license.licensingServer === need.licensingServer &&
        license.priceList === need.priceList &&
        !skip.includes(license.id);
      if (!fits) continue;
      const reclaimed = await this.reclaim(license, service, avoided);
      if (reclaimed) return reclaimed;
    }
    return null;
  }

  /**
   * Takes a pooled license back for this operation, under its lease; null if another claim was quicker. A license
   * being reused (not one this operation ordered) says which order it `avoided`.
   */
  private reclaim(
    license: LicenseRecord,
    service: ServiceTarget,
    avoided?: PoolClaim['avoided'],
  ): Promise<LicenseRecord | null> {
    const holder = { serviceId: service.id, avoided };
    return this.checkpoints.write((trx) => this.deps.licenses.claimAgain(license.id, holder, this.by(), trx));
  }

  /**
   * Moves a pooled license to the service in four calls: IP and name in one edit, a new key (its read-back gives
   * status and expiry too), resumed if suspended; renewed if it would lapse first. A license just claimed is not read
   * first: its record is its release's read, and one gone or held by a cooldown refuses the edit or the key (and goes
   * back). It is read first when its key is unknown here (the key's lookup compares with the previous holder's) or
   * an earlier attempt had it (its record may be old, its key step done).
   */
  private async reuse(
    license: LicenseRecord,
    service: ServiceTarget,
    need: LicenseRequirement,
    justClaimed: boolean,
  ): Promise<LicenseRecord> {
    const unread = justClaimed && license.activationKey !== null;
    let current = unread ? license : await this.steps.refresh(license);
    assertLive(current);
    try {
      // The reference of the IP step that this one edit replaced: an attempt from before the change settles it.
      current = await this.steps.setIpAndName(current, { ip: service.ip, name: licenseNameFor(service) }, 'reuse-ip');
      current = await this.steps.regenerateKey(current, 'reuse-key');
    } catch (error) {
      // Unread, the license may be gone upstream (still readable there, status deleted) behind another refusal: tell
      // by reading it, so a dead license leaves the pool instead of failing every open that claims it.
      if (unread && error instanceof UpstreamRejectedError && error.upstreamType !== 'limit')
        assertLive(await this.steps.refresh(current));
      throw error;
    }
    assertLive(current);
    current = await this.steps.resume(current, 'reuse-resume');
    current = await this.coverService(current, service, need);
    this.deps.logger.info(
      { operationId: this.operationId, licenseId: license.id, serviceId: service.id },
      'pooled license reused',
    );
    return current;
  }

  /** A reuse step was refused: the license goes back to the pool, remembering a refused cooldown. */
  private async giveBack(license: LicenseRecord, error: UpstreamError): Promise<void> {
    const refusedObject = error instanceof UpstreamRejectedError ? error.upstreamObject : null;
    const refused = refusedObject === 'ip' || refusedObject === 'lickey' ? refusedObject : null;
    await this.checkpoints.write(async (trx) => {
      if (error instanceof UpstreamNotFoundError)
        await this.deps.licenses.deleted(license.id, 'gone_upstream', this.by(), trx);
      else await this.deps.licenses.pooled(license.id, { reason: 'given_back', refused }, this.by(), trx);
    });
    this.deps.logger.warn(
      { operationId: this.operationId, licenseId: license.id, code: error.code },
      'pooled license could not be reused; trying the next',
    );
  }

  private async order(service: ServiceTarget, need: LicenseRequirement): Promise<LicenseRecord> {
    const reference = await this.checkpoints.nextReference(`${this.operationId}.order`);
    const price = await priceNow(this.deps, need.licensingServer, need.priceList, need.period);
    const params = {
      priceList: need.priceList,
      period: need.period,
      ip: service.ip,
      name: licenseNameFor(service),
      reference,
    };
    const id = crypto.randomUUID();
    const cost = { price, tariffPlan: service.tariffPlan };
    const recorded = (upstreamId: string): OrderedLicense => ({
      id,
      licensingServer: need.licensingServer,
      upstreamId,
      priceList: need.priceList,
      period: need.period,
      ip: service.ip,
      name: params.name,
      serviceId: service.id,
      orderReference: reference,
      cost,
    });
    // The moment of the order names the license's creation, whenever its row is written.
    let orderedBy: OperationMoveContext | null = null;
    const response = await this.checkpoints.perform({
      kind: 'order',
      reference,
      licenseId: null,
      request: { ...params },
      paidAt: need.licensingServer,
      call: async () => {
        orderedBy = this.by();
        return { upstreamId: (await this.module.order(params)).upstreamId };
      },
      reconcile: async () => {
        const found = await this.module.findByReference({ reference });
        return found ? { upstreamId: found.upstreamId } : null;
      },
      // The license row, its audit row and its cost go with the next commit: the outcome's, with the license read
      // for its key and bound (or a renewal's checkpoint, or a failed attempt's end). A crash before it leaves the
      // order `intended`, and the next attempt finds it upstream by its reference before anything is paid again.
      commit: 'with-next-commit',
      onDone: (trx, done) => this.deps.licenses.ordered(recorded(done.upstreamId), orderedBy ?? this.by(), trx),
    });
    // Ordered in this attempt: the license as it will be written. Settled by an earlier one (or found after an unknown
    // outcome, which commits at once): as it was written.
    const license = orderedBy
      ? this.deps.licenses.orderedRecord(recorded(response.upstreamId), orderedBy)
      : await this.deps.licenses.findByUpstream(need.licensingServer, response.upstreamId);
    return this.finishOrder(license!, service, need);
  }

  /** Who moves licenses in this operation: the worker, now. */
  private by(): OperationMoveContext {
    return { actor: 'worker', at: this.deps.now(), operationId: this.operationId };
  }

  /**
   * An ordered license (its order `done`, the license reserved by this operation) made ready for the service: read
   * back as a step of its own (a failed read is tried again, never a reason to forget the order), waited for while
   * the upstream still processes it, then renewed to cover the service if the order alone does not.
   */
  private async finishOrder(
    license: LicenseRecord,
    service: ServiceTarget,
    need: LicenseRequirement,
  ): Promise<LicenseRecord> {
    const current = await this.steps.readBack(license, 'order');
    if (current.status === 'ordered' || current.status === 'processing') throw this.steps.stillProcessing(current);
    return this.coverService(current, service, need);
  }

  /** Renewed to cover the service unless a trial (a fixed time); read in this attempt, so no read before paying. */
  private coverService(license: LicenseRecord, service: ServiceTarget, need: LicenseRequirement) {
    if (!service.paidUntil || isTrial(need.period)) return Promise.resolve(license);
    return this.steps.renewToCover(license, service.paidUntil, need.period, service.tariffPlan, { justRead: true });
  }
}

/** A pooled license the upstream reads as deleted cannot be reused: it leaves the pool. */
function assertLive(license: LicenseRecord): void {
  if (license.status === 'deleted')
    throw new UpstreamNotFoundError(`pooled license ${license.upstreamId} is gone upstream`);
}

/**
 * Whether a refusal during reuse concerns the pooled license itself (gone upstream, or held by a cooldown or its
 * paid time), so that the next candidate may do better. Any other refusal (credentials, configuration, no money, a
 * value the upstream does not take) would be the same for every candidate: it ends the attempt rather than being
 * repeated on each pooled license.
 */
function refusesThisLicense(error: unknown): error is UpstreamError {
  return (
    error instanceof UpstreamNotFoundError || (error instanceof UpstreamRejectedError && error.upstreamType === 'limit')
  );
}
