import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { LicensingServerModule, UpstreamLicense } from '../domain/licensing-module';
import { processingWaitMs, renewalsNeeded } from '../domain/money-guards';
import { formatPeriod, type Period } from '../domain/period';
import { UpstreamNotFoundError } from '../domain/upstream-errors';
import type { LicenseRecord, OperationMoveContext, UpstreamFacts } from '../db/license-store';
import { addMonths } from '../domain/lifecycle';
import { LeaseLostError, ReadBackError, RenewalLimitError, ServiceError, UpstreamProcessingError } from '../errors';
import type { Checkpointer } from './checkpointer';
import type { LifecycleDeps } from './lifecycle-deps';
import { priceNow } from './pricing';

const sha256 = (text: string | null) => (text === null ? null : crypto.createHash('sha256').update(text).digest('hex'));

/**
 * The checkpointed upstream steps an operation applies to one license. Each step's reference is
 * `<operation>.<step>.<license>`, so a repeated attempt finds what an earlier one did.
 */
export class LicenseSteps {
  constructor(
    private readonly deps: LifecycleDeps,
    private readonly checkpoints: Checkpointer,
    private readonly operationId: string,
    private readonly module: LicensingServerModule,
  ) {}

  /** Reads the license upstream and records what it says (status, expiry, IP, name, key). */
  async refresh(license: LicenseRecord): Promise<LicenseRecord> {
    const upstream = await this.module.get({ upstreamId: license.upstreamId });
    const facts = factsFromUpstream(upstream);
    await this.checkpoints.write((trx) =>
      this.deps.licenses.recordUpstreamFacts(license.id, facts, this.deps.now(), trx),
    );
    return { ...license, ...facts };
  }

  async changeIp(license: LicenseRecord, ip: string, step: string): Promise<LicenseRecord> {
    if (license.ip === ip) return license;
    await this.perform(
      license,
      step,
      'change_ip',
      { ip },
      async () => {
        await this.module.changeIp({ upstreamId: license.upstreamId, ip });
        return { ip };
      },
      (upstream) => upstream.ip === ip,
      (trx) => this.deps.licenses.ipChanged(license.id, ip, this.by(), trx),
    );
    return { ...license, ip, ipChangedAt: this.deps.now() };
  }

  async rename(license: LicenseRecord, name: string, step: string): Promise<LicenseRecord> {
    if (license.name === name) return license;
    await this.perform(
      license,
      step,
      'rename',
      { name },
      async () => {
        await this.module.rename({ upstreamId: license.upstreamId, name });
        return { name };
      },
      (upstream) => upstream.name === name,
      (trx) => this.deps.licenses.recordUpstreamFacts(license.id, { name }, this.deps.now(), trx),
    );
    return { ...license, name };
  }

  /** A new activation key: the previous holder's key stops working. */
  async regenerateKey(license: LicenseRecord, step: string): Promise<LicenseRecord> {
    const reference = this.reference(step, license);
    // After an unknown outcome, compare with the key from before the first attempt (stored with its checkpoint):
    // by now `license` may have been refreshed from the upstream and already carry the new key.
    const intended = await this.deps.upstreamActions.getByReference(reference);
    const previousKeySha256 =
      intended && 'previousKeySha256' in intended.request
        ? (intended.request.previousKeySha256 as string | null)
        : sha256(license.activationKey);
    let activationKey: string | null = null;
    await this.checkpoints.perform({
      kind: 'regenerate_key',
      reference,
      licenseId: license.id,
      request: { previousKeySha256 },
      call: async () => {
        activationKey = (await this.module.regenerateKey({ upstreamId: license.upstreamId })).activationKey;
        return { regenerated: true };
      },
      reconcile: async () => {
        const upstream = await this.module.get({ upstreamId: license.upstreamId });
        activationKey = upstream.activationKey;
        return sha256(upstream.activationKey) !== previousKeySha256 ? { regenerated: true } : null;
      },
      onDone: async (trx) => {
        await this.deps.licenses.keyRegenerated(license.id, activationKey, this.by(), trx);
      },
    });
    return { ...license, activationKey, keyRegeneratedAt: this.deps.now() };
  }

  async suspend(license: LicenseRecord, step: string): Promise<LicenseRecord> {
    if (license.status === 'suspended') return license;
    await this.perform(
      license,
      step,
      'suspend',
      {},
      async () => {
        await this.module.suspend({ upstreamId: license.upstreamId });
        return { status: 'suspended' };
      },
      (upstream) => upstream.status === 'suspended',
      (trx) => this.deps.licenses.suspended(license.id, this.by(), trx),
    );
    return { ...license, status: 'suspended' };
  }

  async resume(license: LicenseRecord, step: string): Promise<LicenseRecord> {
    if (license.status !== 'suspended') return license;
    await this.perform(
      license,
      step,
      'resume',
      {},
      async () => {
        await this.module.resume({ upstreamId: license.upstreamId });
        return { status: 'active' };
      },
      (upstream) => upstream.status === 'active',
      (trx) => this.deps.licenses.resumed(license.id, this.by(), trx),
    );
    return { ...license, status: 'active' };
  }

  /**
   * Renews by `period` as many times as needed until the license is paid until at least `target`. An operation makes
   * at most `lifecycle.maxRenewalsPerOperation` renewals in all its attempts: a target that needs more fails with
   * `renewal_limit` before anything is paid. Before it pays, it reads the expiry from the upstream once: a renewal
   * made there by other means (by hand, say) is not paid again. Each renewal is a paid call of its own; the new
   * expiry is read back after it as a separate step, so that a failed read never hides a renewal that was paid.
   * Each renewal is priced as it is paid, and recorded under `tariffPlan` (its service's; null for none).
   */
  async renewToCover(
    license: LicenseRecord,
    target: Date,
    period: Period,
    tariffPlan: string | null,
  ): Promise<LicenseRecord> {
    const family = `${this.operationId}.prolong.${license.id}`;
    let current = license;
    let readDue: boolean | undefined;
    for (;;) {
      if (current.paidUntil && current.paidUntil >= target) return current;
      // A renewal whose outcome is unknown is settled through its checkpoint, which compares against the expiry from
      // before it; reading the expiry first would leave that checkpoint unsettled.
      readDue ??= !(await this.checkpoints.hasPending(family));
      if (readDue || current.paidUntil === null) {
        current = await this.refresh(current);
        readDue = false;
      }
      if (current.paidUntil && current.paidUntil >= target) return current;
      // Just ordered and still being processed upstream: renewing now would pay for a second period.
      if (current.paidUntil === null) throw this.stillProcessing(current);
      await this.assertWithinRenewalLimit(current.paidUntil, target, period, family);
      const paidUntilBefore = current.paidUntil.toISOString();
      const cost = { price: await priceNow(this.deps, license.licensingServer, license.priceList, period), tariffPlan };
      await this.checkpoints.perform({
        kind: 'prolong',
        reference: await this.checkpoints.nextReference(family),
        licenseId: license.id,
        request: { period, paidUntilBefore },
        paidAt: license.licensingServer,
        call: async () => {
          await this.module.prolong({ upstreamId: license.upstreamId, period });
          return { renewed: true };
        },
        reconcile: async () => {
          const paidUntil = await this.readPaidUntil(license);
          return paidUntil && paidUntil > paidUntilBefore ? { renewed: true, paidUntil } : null;
        },
        onDone: async (trx, done) => {
          const before = new Date(paidUntilBefore);
          const paidUntil = this.renewedUntil(before, period, done);
          const renewal = { period, paidUntilBefore: before, paidUntil, cost };
          await this.deps.licenses.renewed(license.id, renewal, this.by(), trx);
        },
      });
      current = await this.readBack(current, 'renewal');
    }
  }

  /**
   * Reads the license after a paid call (order, renewal) and records what it says. The call is already recorded
   * `done`: whatever goes wrong here (a refused, unreadable or lost read) leaves it done, and only the read is tried
   * again (`ReadBackError`, retried with back-off).
   */
  async readBack(license: LicenseRecord, paidCall: 'order' | 'renewal'): Promise<LicenseRecord> {
    try {
      return await this.refresh(license);
    } catch (error) {
      if (error instanceof LeaseLostError) throw error;
      const reason = error instanceof ServiceError ? error.message : 'an unexpected error';
      throw new ReadBackError(
        `the ${paidCall} of license ${license.upstreamId} is made; reading it back failed (${reason}): read again later`,
        { licenseId: license.id, upstreamId: license.upstreamId },
        { cause: error },
      );
    }
  }

  /**
   * The upstream has not finished the license (ordered or processing, or no expiry yet): wait as long again as it
   * has taken since the license was ordered, from 1 minute to 1 hour (see `processingWaitMs`).
   */
  stillProcessing(license: LicenseRecord): UpstreamProcessingError {
    const now = this.deps.now();
    const processingForMs = now.getTime() - new Date(license.createdAt).getTime();
    return new UpstreamProcessingError(
      `license ${license.upstreamId} is still being processed upstream (${license.status}, no expiry yet)`,
      new Date(now.getTime() + processingWaitMs(Number.isFinite(processingForMs) ? processingForMs : 0)),
      { licenseId: license.id, upstreamId: license.upstreamId, status: license.status },
    );
  }

  /** `RenewalLimitError` when the renewals made so far plus those still needed pass the operation's limit. */
  private async assertWithinRenewalLimit(paidUntil: Date, target: Date, period: Period, family: string) {
    const limit = this.deps.settings.maxRenewalsPerOperation;
    const made = await this.checkpoints.countDone(family);
    const needed = renewalsNeeded(paidUntil, this.deps.now(), target, period, limit);
    if (made + needed <= limit) return;
    throw new RenewalLimitError(
      `paying until ${target.toISOString()} needs more renewals of ${formatPeriod(period)} than ` +
        `lifecycle.maxRenewalsPerOperation (${limit}) allows${made ? ` (${made} made already)` : ''}; nothing more was paid`,
      { target: target.toISOString(), paidUntil: paidUntil.toISOString(), period, renewalsMade: made, limit },
    );
  }

  /** Deletes the license upstream; a license the upstream no longer knows counts as deleted. */
  async remove(license: LicenseRecord, step: string): Promise<void> {
    await this.checkpoints.perform({
      kind: 'remove',
      reference: this.reference(step, license),
      licenseId: license.id,
      request: {},
      call: async () => {
        try {
          await this.module.remove({ upstreamId: license.upstreamId });
        } catch (error) {
          if (!(error instanceof UpstreamNotFoundError)) throw error;
        }
        return { removed: true };
      },
      reconcile: async () => ((await this.isGone(license)) ? { removed: true } : null),
      onDone: async (trx) => {
        await this.deps.licenses.deleted(license.id, 'removed', this.by(), trx);
      },
    });
  }

  private async isGone(license: LicenseRecord): Promise<boolean> {
    try {
      return (await this.module.get({ upstreamId: license.upstreamId })).status === 'deleted';
    } catch (error) {
      if (error instanceof UpstreamNotFoundError) return true;
      throw error;
    }
  }

  private async readPaidUntil(license: LicenseRecord): Promise<string | null> {
    return (await this.module.get({ upstreamId: license.upstreamId })).paidUntil?.toISOString() ?? null;
  }

  /** A simple step: call, or after an unknown outcome read the license and see whether it shows the change. */
  private async perform(
    license: LicenseRecord,
    step: string,
    kind: 'change_ip' | 'rename' | 'suspend' | 'resume',
    request: Record<string, unknown>,
    call: () => Promise<Record<string, unknown>>,
    shows: (upstream: UpstreamLicense) => boolean,
    record: (trx: Knex.Transaction) => Promise<unknown>,
  ): Promise<void> {
    await this.checkpoints.perform({
      kind,
      reference: this.reference(step, license),
      licenseId: license.id,
      request,
      call,
      reconcile: async () =>
        shows(await this.module.get({ upstreamId: license.upstreamId })) ? { reconciled: true } : null,
      onDone: async (trx) => {
        await record(trx);
      },
    });
  }

  private reference(step: string, license: LicenseRecord): string {
    return `${this.operationId}.${step}.${license.id}`;
  }

  /** Who moves the license in this operation's steps: the worker, now. */
  private by(): OperationMoveContext {
    return { actor: 'worker', at: this.deps.now(), operationId: this.operationId };
  }

  /**
   * The paid-until a renewal leads to: as read upstream when its outcome had to be looked up, else as the renewal
   * promises (from the later of the expiry and now); null for a lifetime renewal.
   */
  private renewedUntil(paidUntilBefore: Date, period: Period, done: Record<string, unknown>): Date | null {
    if (typeof done.paidUntil === 'string') return new Date(done.paidUntil);
    if (period === 'lifetime') return null;
    const now = this.deps.now();
    return addMonths(paidUntilBefore > now ? paidUntilBefore : now, period);
  }
}

/** The local fields an upstream read refreshes. */
export function factsFromUpstream(upstream: UpstreamLicense): UpstreamFacts {
  return {
    status: upstream.status,
    paidUntil: upstream.paidUntil,
    ip: upstream.ip,
    name: upstream.name,
    ...(upstream.activationKey !== null ? { activationKey: upstream.activationKey } : {}),
  };
}
