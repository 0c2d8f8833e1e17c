import type { LicensingServerModule } from '../domain/licensing-module';
import { addMonths } from '../domain/lifecycle';
import { renewalsNeeded } from '../domain/money-guards';
import { formatPeriod, type Period } from '../domain/period';
import type { LicenseRecord, OperationMoveContext } from '../db/license-store';
import { RenewalLimitError } from '../errors';
import type { Checkpointer } from './checkpointer';
import type { LicenseSteps } from './license-steps';
import type { LifecycleDeps } from './lifecycle-deps';
import { priceNow } from './pricing';

/**
 * The renewal step of one license: paid calls, each checkpointed under `<operation>.prolong.<license>.<n>`, within
 * the operation's renewal limit. Reads go through the license's {@link LicenseSteps}, which record what they find.
 */
export class LicenseRenewal {
  constructor(
    private readonly deps: LifecycleDeps,
    private readonly checkpoints: Checkpointer,
    private readonly operationId: string,
    private readonly module: LicensingServerModule,
    private readonly steps: LicenseSteps,
  ) {}

  /**
   * Renews by `period` as many times as needed until the license is paid until at least `target`. An operation makes
   * at most `lifecycle.maxRenewalsPerOperation` renewals in all its attempts: a target that needs more fails with
   * `renewal_limit` before anything is paid. Before it pays, it reads the expiry from the upstream once: a renewal
   * made there by other means (by hand, say) is not paid again. Each renewal is a paid call of its own; the new
   * expiry is read back after it as a separate step, so that a failed read never hides a renewal that was paid.
   * Each renewal is priced as it is paid, and recorded under `tariffPlan` (its service's; null for none). A caller
   * that read the license upstream in this attempt says `justRead`: that read stands for the one before paying.
   */
  async renewToCover(
    license: LicenseRecord,
    target: Date,
    period: Period,
    tariffPlan: string | null,
    { justRead = false }: { justRead?: boolean } = {},
  ): Promise<LicenseRecord> {
    const family = `${this.operationId}.prolong.${license.id}`;
    let current = license;
    let readDue: boolean | undefined = justRead ? false : undefined;
    for (;;) {
      if (current.paidUntil && current.paidUntil >= target) return current;
      // A renewal whose outcome is unknown is settled through its checkpoint, which compares against the expiry from
      // before it; reading the expiry first would leave that checkpoint unsettled.
      readDue ??= !(await this.checkpoints.hasPending(family));
      if (readDue || current.paidUntil === null) {
        current = await this.steps.refresh(current);
        readDue = false;
      }
      if (current.paidUntil && current.paidUntil >= target) return current;
      // Just ordered and still being processed upstream: renewing now would pay for a second period.
      if (current.paidUntil === null) throw this.steps.stillProcessing(current);
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
      current = await this.steps.readBack(current, 'renewal');
    }
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

  private async readPaidUntil(license: LicenseRecord): Promise<string | null> {
    return (await this.module.get({ upstreamId: license.upstreamId })).paidUntil?.toISOString() ?? null;
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

  /** Who moves the license: the worker, now. */
  private by(): OperationMoveContext {
    return { actor: 'worker', at: this.deps.now(), operationId: this.operationId };
  }
}
