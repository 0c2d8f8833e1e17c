import crypto from 'node:crypto';
import type { LicensingServerModule, UpstreamLicense } from '../domain/licensing-module';
import type { Period } from '../domain/period';
import { UpstreamNotFoundError } from '../domain/upstream-errors';
import type { LicensePatch, LicenseRecord } from '../db/license-store';
import { RetryLaterError, type Checkpointer } from './checkpointer';
import type { LifecycleDeps } from './lifecycle-deps';

/** A guard against a period that never reaches the target (e.g. an upstream that accepts but does not extend). */
const MAX_RENEWALS_PER_OPERATION = 60;

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
    const patch = patchFromUpstream(upstream);
    await this.checkpoints.write((trx) => this.deps.licenses.update(license.id, patch, this.deps.now(), trx));
    return { ...license, ...patch };
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
      { ip, ipChangedAt: this.deps.now() },
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
      { name },
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
      onDone: (trx) =>
        this.deps.licenses.update(
          license.id,
          { activationKey, keyRegeneratedAt: this.deps.now() },
          this.deps.now(),
          trx,
        ),
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
      { status: 'suspended' },
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
      { status: 'active' },
    );
    return { ...license, status: 'active' };
  }

  /**
   * Renews by `period` as many times as needed until the license is paid until at least `target`. Before it pays,
   * it reads the expiry from the upstream once: a renewal made there by other means (by hand, say) is not paid again.
   */
  async renewToCover(license: LicenseRecord, target: Date, period: Period): Promise<LicenseRecord> {
    const family = `${this.operationId}.prolong.${license.id}`;
    let current = license;
    let readDue: boolean | undefined;
    for (let renewal = 0; renewal < MAX_RENEWALS_PER_OPERATION; renewal++) {
      if (current.paidUntil && current.paidUntil >= target) return current;
      // A renewal whose outcome is unknown is settled through its checkpoint, which compares against the expiry from
      // before it; reading the expiry first would leave that checkpoint unsettled.
      readDue ??= !(await this.checkpoints.hasPending(family));
      if (readDue || current.paidUntil === null) {
        current = await this.refresh(current);
        readDue = false;
      }
      if (current.paidUntil && current.paidUntil >= target) return current;
      if (current.paidUntil === null) {
        // Just ordered and still being processed upstream: renewing now would pay for a second period.
        throw new RetryLaterError(
          `license ${license.upstreamId} has no expiry yet (${current.status})`,
          new Date(this.deps.now().getTime() + 30_000),
        );
      }
      const paidUntilBefore = current.paidUntil?.toISOString() ?? null;
      const reference = await this.checkpoints.nextReference(family);
      const response = await this.checkpoints.perform({
        kind: 'prolong',
        reference,
        licenseId: license.id,
        request: { period, paidUntilBefore },
        call: async () => {
          await this.module.prolong({ upstreamId: license.upstreamId, period });
          return { paidUntil: await this.readPaidUntil(license) };
        },
        reconcile: async () => {
          const paidUntil = await this.readPaidUntil(license);
          return paidUntil && (!paidUntilBefore || paidUntil > paidUntilBefore) ? { paidUntil } : null;
        },
        onDone: (trx, done) =>
          this.deps.licenses.update(
            license.id,
            { paidUntil: done.paidUntil ? new Date(done.paidUntil) : null },
            this.deps.now(),
            trx,
          ),
      });
      current = { ...current, paidUntil: response.paidUntil ? new Date(response.paidUntil) : null };
    }
    throw new Error(
      `license ${license.id}: still not paid until ${target.toISOString()} after ${MAX_RENEWALS_PER_OPERATION} renewals`,
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
      onDone: (trx) =>
        this.deps.licenses.update(
          license.id,
          { state: 'released', status: 'deleted', serviceId: null, operationId: null },
          this.deps.now(),
          trx,
        ),
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
    patch: LicensePatch,
  ): Promise<void> {
    await this.checkpoints.perform({
      kind,
      reference: this.reference(step, license),
      licenseId: license.id,
      request,
      call,
      reconcile: async () =>
        shows(await this.module.get({ upstreamId: license.upstreamId })) ? { reconciled: true } : null,
      onDone: (trx) => this.deps.licenses.update(license.id, patch, this.deps.now(), trx),
    });
  }

  private reference(step: string, license: LicenseRecord): string {
    return `${this.operationId}.${step}.${license.id}`;
  }
}

/** The local fields an upstream read refreshes. */
export function patchFromUpstream(upstream: UpstreamLicense): LicensePatch {
  return {
    status: upstream.status,
    paidUntil: upstream.paidUntil,
    ip: upstream.ip,
    name: upstream.name,
    ...(upstream.activationKey !== null ? { activationKey: upstream.activationKey } : {}),
  };
}
