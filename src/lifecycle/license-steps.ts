import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { LicensingServerModule, UpstreamLicense } from '../domain/licensing-module';
import { processingWaitMs } from '../domain/money-guards';
import { UpstreamNotFoundError } from '../domain/upstream-errors';
import type { LicenseRecord, OperationMoveContext, UpstreamFacts } from '../db/license-store';
import { LeaseLostError, ReadBackError, ServiceError, UpstreamProcessingError } from '../errors';
import type { Checkpointer } from './checkpointer';
import { LicenseRenewal } from './license-renewal';
import type { LifecycleDeps } from './lifecycle-deps';

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

  /**
   * Reads the license upstream and records what it says (status, expiry, IP, name, key) with the attempt's next
   * commit: a read needs no commit of its own.
   */
  async refresh(license: LicenseRecord): Promise<LicenseRecord> {
    const upstream = await this.module.get({ upstreamId: license.upstreamId });
    const facts = factsFromUpstream(upstream);
    this.checkpoints.later((trx) => this.deps.licenses.recordUpstreamFacts(license.id, facts, this.deps.now(), trx));
    return { ...license, ...facts };
  }

  /**
   * Puts an IP and a name on the license in ONE checkpointed `soft.edit` (the upstream takes both together); a step
   * whose fields the license already carries calls nothing. When either field differs both are sent: setting the
   * same IP again is no change upstream, and a field changed there behind our back is set right too. After an
   * unknown outcome the lookup checks every field sent. The step is `change_ip` when the IP moves (its monthly
   * cooldown starts), else `rename`.
   */
  async setIpAndName(
    license: LicenseRecord,
    wanted: { ip?: string; name?: string },
    step: string,
  ): Promise<LicenseRecord> {
    const ipMoves = wanted.ip !== undefined && license.ip !== wanted.ip;
    if (!ipMoves && (wanted.name === undefined || license.name === wanted.name)) return license;
    const { ip, name } = wanted;
    await this.perform(
      license,
      step,
      ipMoves ? 'change_ip' : 'rename',
      { ...wanted },
      async () => {
        await this.module.edit({ upstreamId: license.upstreamId, ip, name });
        return { ...wanted };
      },
      (upstream) => (ip === undefined || upstream.ip === ip) && (name === undefined || upstream.name === name),
      async (trx, doneAt) => {
        const named = name !== undefined ? { name } : {};
        if (ipMoves)
          await this.deps.licenses.ipChanged(license.id, { from: license.ip, to: ip! }, this.by(doneAt), trx, named);
        else
          await this.deps.licenses.recordUpstreamFacts(
            license.id,
            { ...(ip !== undefined ? { ip } : {}), ...named },
            doneAt,
            trx,
          );
      },
    );
    return {
      ...license,
      ...(ip !== undefined ? { ip } : {}),
      ...(name !== undefined ? { name } : {}),
      ...(ipMoves ? { ipChangedAt: this.deps.now() } : {}),
    };
  }

  async changeIp(license: LicenseRecord, ip: string, step: string): Promise<LicenseRecord> {
    return this.setIpAndName(license, { ip }, step);
  }

  /**
   * A new activation key: the previous holder's key stops working. The module reads the license right after (the
   * new key is only known by a read), and that read is recorded in full (status, expiry, IP, name), so a caller
   * needs no read of its own after this step. When the call was made but its read failed, the license is read once
   * more here; when an earlier attempt already made the step, nothing is called.
   */
  async regenerateKey(license: LicenseRecord, step: string): Promise<LicenseRecord> {
    const reference = this.reference(step, license);
    // After an unknown outcome, compare with the key from before the first attempt (stored with its checkpoint):
    // by now `license` may have been refreshed from the upstream and already carry the new key.
    const intended = await this.deps.upstreamActions.getByReference(reference);
    const previousKeySha256 =
      intended && 'previousKeySha256' in intended.request
        ? (intended.request.previousKeySha256 as string | null)
        : sha256(license.activationKey);
    let settledNow = false;
    let read: UpstreamLicense | null = null;
    await this.checkpoints.perform({
      kind: 'regenerate_key',
      reference,
      licenseId: license.id,
      request: { previousKeySha256 },
      call: async () => {
        settledNow = true;
        read = (await this.module.regenerateKey({ upstreamId: license.upstreamId })).license;
        return { regenerated: true };
      },
      reconcile: async () => {
        settledNow = true;
        read = await this.module.get({ upstreamId: license.upstreamId });
        return sha256(read.activationKey) !== previousKeySha256 ? { regenerated: true } : null;
      },
      onDone: async (trx, _response, doneAt) => {
        const upstream = read as UpstreamLicense | null;
        const facts = upstream ? factsFromUpstream(upstream) : {};
        const key = upstream?.activationKey ?? null;
        await this.deps.licenses.keyRegenerated(license.id, key, this.by(doneAt), trx, facts);
      },
    });
    if (!settledNow) return license;
    const regenerated = { ...license, activationKey: null, keyRegeneratedAt: this.deps.now() };
    const upstream = read as UpstreamLicense | null;
    return upstream ? { ...regenerated, ...factsFromUpstream(upstream) } : this.refresh(regenerated);
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
      (trx, doneAt) => this.deps.licenses.suspended(license.id, this.by(doneAt), trx),
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
      (trx, doneAt) => this.deps.licenses.resumed(license.id, this.by(doneAt), trx),
    );
    return { ...license, status: 'active' };
  }

  /** Renews until the license is paid until at least `target`: see {@link LicenseRenewal.renewToCover}. */
  renewToCover(...args: Parameters<LicenseRenewal['renewToCover']>): Promise<LicenseRecord> {
    return new LicenseRenewal(this.deps, this.checkpoints, this.operationId, this.module, this).renewToCover(...args);
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

  /** A simple step: call, or after an unknown outcome read the license and see whether it shows the change. */
  private async perform(
    license: LicenseRecord,
    step: string,
    kind: 'change_ip' | 'rename' | 'suspend' | 'resume',
    request: Record<string, unknown>,
    call: () => Promise<Record<string, unknown>>,
    shows: (upstream: UpstreamLicense) => boolean,
    record: (trx: Knex.Transaction, doneAt: Date) => Promise<unknown>,
  ): Promise<void> {
    await this.checkpoints.perform({
      kind,
      reference: this.reference(step, license),
      licenseId: license.id,
      request,
      call,
      reconcile: async () =>
        shows(await this.module.get({ upstreamId: license.upstreamId })) ? { reconciled: true } : null,
      onDone: async (trx, _response, doneAt) => {
        await record(trx, doneAt);
      },
    });
  }

  private reference(step: string, license: LicenseRecord): string {
    return `${this.operationId}.${step}.${license.id}`;
  }

  /** Who moves the license in this operation's steps: the worker, at `at` (the moment its call returned) or now. */
  private by(at = this.deps.now()): OperationMoveContext {
    return { actor: 'worker', at, operationId: this.operationId };
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
