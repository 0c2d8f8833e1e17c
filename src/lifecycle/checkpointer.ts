import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { UpstreamError } from '../domain/upstream-errors';
import { startOfNextUtcDay } from '../domain/money-guards';
import { OperationNotClaimedError, RetryLaterError, SpendLimitError } from '../errors';
import type { UpstreamActionKind } from '../db/upstream-action-store';
import { crashPoint } from './crash-points';
import type { HeldLease } from './held-lease';
import type { LifecycleDeps } from './lifecycle-deps';

export { RetryLaterError };

export type ActionResponse = Record<string, unknown>;

export interface CheckpointedCall<R extends ActionResponse> {
  kind: UpstreamActionKind;
  /** Unique and stable across attempts of the same step; orders carry it upstream. */
  reference: string;
  licenseId: string | null;
  /** Safe to store (no keys, no passwords). */
  request: Record<string, unknown>;
  /**
   * For a paid call (order, renewal): the licensing server it is paid at. Its first `intended` counts against that
   * server's `lifecycle.maxPaidCallsPerDay` in the same transaction; past the cap nothing is written or called, and
   * the operation waits with `spend_limit`. A call tried again (after a refusal or a lookup) is not counted twice.
   */
  paidAt?: string;
  /** Makes the upstream call. */
  call: () => Promise<R>;
  /** After an unknown outcome: asks the upstream whether the call took effect; its response if so, else null. */
  reconcile: () => Promise<R | null>;
  /**
   * Local writes that belong with the call's success, committed in the same transaction as `done`. `doneAt` is when
   * the call returned (or the lookup found it): the time to stamp, however much later the commit comes.
   */
  onDone?: (trx: Knex.Transaction, response: R, doneAt: Date) => Promise<unknown>;
  /**
   * When `done` (with `onDone`) is committed after a call made in this attempt: `at-once`, or `with-next-commit` (the
   * attempt's next transaction: the next step's `intended`, or the outcome). By default a paid call and a deletion
   * commit at once, the other steps with the next commit. A step's `done` may wait only when a crash before it is
   * found again by `reconcile`, and when nothing in the attempt reads it back from the database before then.
   */
  commit?: 'at-once' | 'with-next-commit';
}

/**
 * Keeps every state-changing or paid upstream call of an operation exactly-once in effect: an `intended` row is
 * committed before the call, `done` (with the local writes) after it: at once for a paid call or a deletion, else
 * with the attempt's next commit. A later attempt that finds `intended` asks the upstream before it may call again;
 * one that finds `done` returns the stored response without calling. Every write checks that this worker still holds
 * the operation's lease, in its transaction; the moment before a call checks the lease on the process's own clock.
 */
export class Checkpointer {
  private readonly operationId: string;
  /** Local writes left for the attempt's next transaction (see `later`), oldest first. */
  private pending: Array<(trx: Knex.Transaction) => Promise<unknown>> = [];
  /** Responses of the calls made in this attempt whose `done` waits in `pending`, by reference: known outcomes. */
  private readonly settling = new Map<string, ActionResponse>();

  constructor(
    private readonly deps: LifecycleDeps,
    private readonly lease: HeldLease,
    /** The operation's claim, as the first statement of the attempt's first transaction; false when not won. */
    private readonly claim: (trx: Knex.Transaction) => Promise<boolean>,
  ) {
    this.operationId = lease.operationId;
  }

  async perform<R extends ActionResponse>(step: CheckpointedCall<R>): Promise<R> {
    const { upstreamActions } = this.deps;
    const settling = this.settling.get(step.reference);
    if (settling) return settling as R;
    const existing = await upstreamActions.getByReference(step.reference);
    if (existing?.state === 'done') return existing.response as R;
    if (existing?.state === 'intended') {
      const lookUpAt = new Date(new Date(existing.updatedAt).getTime() + this.deps.settings.reconcileDelayMs);
      if (this.deps.now() < lookUpAt)
        throw new RetryLaterError(`outcome of ${step.kind} unknown; looking it up later`, lookUpAt);
      const found = await step.reconcile();
      this.deps.logger.info(
        { operationId: this.operationId, kind: step.kind, reference: step.reference, happened: found !== null },
        'reconciled an unknown outcome',
      );
      if (found) return this.settleDone(step, found, this.deps.now());
    }
    await this.write(async (trx) => {
      if (existing) await upstreamActions.reintend(step.reference, this.deps.now(), trx);
      else {
        if (step.paidAt !== undefined) await this.countPaidCall(step.paidAt, trx);
        await upstreamActions.insertIntended(
          {
            id: crypto.randomUUID(),
            operationId: this.operationId,
            licenseId: step.licenseId,
            kind: step.kind,
            reference: step.reference,
            request: step.request,
          },
          this.deps.now(),
          trx,
        );
      }
    });
    let response: R;
    try {
      crashPoint(`before-call:${step.kind}`);
      // Checked again right before the call: a worker that stalled since it wrote `intended` may have lost the
      // operation to another, which may already be settling this very step. Its own clock tells: no query.
      this.lease.assertHeld();
      response = await step.call();
      crashPoint(`after-call:${step.kind}`);
    } catch (error) {
      // A refusal is certain: nothing happened. Anything else (time-out, dropped reply) stays `intended`.
      if (error instanceof UpstreamError && !error.retryable) {
        await this.write((trx) =>
          upstreamActions.settle(step.reference, 'failed', { code: error.code }, this.deps.now(), trx),
        );
      }
      throw error;
    }
    const doneAt = this.deps.now();
    if (settlesAtOnce(step)) return this.settleDone(step, response, doneAt);
    // Its `done` rides with the attempt's next commit (the next step's `intended`, or the outcome). Should the process
    // die first, the step is still `intended` and the next attempt looks it up.
    this.settling.set(step.reference, response);
    this.later((trx) => this.settleWrites(step, response, doneAt, trx));
    return response;
  }

  /**
   * Whether a call of the operation is still `intended` with an outcome nobody knows (one made in this attempt and
   * waiting for its `done` to be committed is known). Such a call keeps the operation trying, however many attempts
   * that takes: giving up would leave a license that may be paid for unknown to us.
   */
  async hasUnknownOutcome(): Promise<boolean> {
    const actions = await this.deps.upstreamActions.listByOperation(this.operationId);
    return actions.some((action) => action.state === 'intended' && !this.settling.has(action.reference));
  }

  /** How many `done` calls of a step family exist, and the reference of the next (or the pending one). */
  async nextReference(prefix: string): Promise<string> {
    const actions = await this.deps.upstreamActions.listByPrefix(this.operationId, `${prefix}.`);
    const pending = actions.find((a) => a.state !== 'done');
    return pending ? pending.reference : `${prefix}.${actions.length}`;
  }

  /** How many calls of a step family are `done` (e.g. the renewals an operation has made so far, in all attempts). */
  async countDone(prefix: string): Promise<number> {
    const actions = await this.deps.upstreamActions.listByPrefix(this.operationId, `${prefix}.`);
    return actions.filter((a) => a.state === 'done').length;
  }

  /** Whether a call of the step family is still `intended`: its outcome is unknown, and only `perform` settles it. */
  async hasPending(prefix: string): Promise<boolean> {
    const actions = await this.deps.upstreamActions.listByPrefix(this.operationId, `${prefix}.`);
    return actions.some((a) => a.state === 'intended');
  }

  /** Runs local writes in one transaction that first checks the lease (or claims the operation: see `transaction`). */
  async write<T>(work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return this.transaction(work, 'assert');
  }

  /**
   * A local write that needs no commit of its own (what an upstream read said, or a step's `done` that may wait): it
   * goes into the attempt's next transaction, a checkpoint's or the outcome's, ahead of that transaction's own writes.
   * Should the process die first, the next attempt reads the license again, or looks the step up.
   */
  later(work: (trx: Knex.Transaction) => Promise<unknown>): void {
    this.pending.push(work);
  }

  /**
   * One transaction of this attempt, in this order: the attempt's first one claims the operation (until then the
   * attempt has only read; the claim commits with the first writes, so an operation costs no commit of its own to
   * start); `leaseCheck` judges the lease (`assert`: a statement of its own, not needed after a claim in the same
   * transaction; or a write that judges it itself, as the outcome's `finishAttempt`); then the writes left for later;
   * then `work`. A worker that lost its lease writes nothing of them. If the transaction rolls back, the writes left
   * for later stay queued, and so does the claim.
   */
  async transaction<T>(
    work: (trx: Knex.Transaction) => Promise<T>,
    leaseCheck: 'assert' | ((trx: Knex.Transaction) => Promise<void>),
  ): Promise<T> {
    const carried = this.pending;
    this.pending = [];
    const claiming = !this.lease.claimed;
    let claimSentAt = 0;
    try {
      const result = await this.deps.db.transaction(async (trx) => {
        if (claiming) {
          claimSentAt = performance.now();
          if (!(await this.claim(trx)))
            throw new OperationNotClaimedError(`operation ${this.operationId}: claimed by another worker, or moved on`);
        }
        if (leaseCheck !== 'assert') await leaseCheck(trx);
        else if (!claiming)
          await this.deps.operations.assertLease(this.operationId, this.lease.owner, this.deps.now(), trx);
        for (const write of carried) await write(trx);
        return work(trx);
      });
      if (claiming) this.lease.claimedAt(claimSentAt);
      return result;
    } catch (error) {
      this.pending = [...carried, ...this.pending];
      throw error;
    }
  }

  /** One more paid call today at `licensingServer`, or `SpendLimitError` (rolling the transaction back) past the cap. */
  private async countPaidCall(licensingServer: string, trx: Knex.Transaction): Promise<void> {
    const now = this.deps.now();
    const cap = this.deps.settings.maxPaidCallsPerDay;
    if (await this.deps.spendCounters.countPaidCall(licensingServer, now, cap, trx)) return;
    throw new SpendLimitError(
      `licensing server ${licensingServer} has made its ${cap} paid calls of today (lifecycle.maxPaidCallsPerDay); ` +
        'nothing was charged: waiting for the next UTC day, or for a person to raise the cap and retry',
      startOfNextUtcDay(now),
      { licensingServer, maxPaidCallsPerDay: cap },
    );
  }

  private async settleDone<R extends ActionResponse>(step: CheckpointedCall<R>, response: R, doneAt: Date) {
    await this.write((trx) => this.settleWrites(step, response, doneAt, trx));
    return response;
  }

  private async settleWrites<R extends ActionResponse>(
    step: CheckpointedCall<R>,
    response: R,
    doneAt: Date,
    trx: Knex.Transaction,
  ) {
    await this.deps.upstreamActions.settle(step.reference, 'done', response, doneAt, trx);
    await step.onDone?.(trx, response, doneAt);
  }
}

/**
 * Unless the step says otherwise, a paid call (an order, a renewal) and a deletion commit their `done` at once, with
 * what they record (the license paid for, its cost): a renewal's count of `done` calls decides whether to pay again.
 */
function settlesAtOnce(step: Pick<CheckpointedCall<ActionResponse>, 'kind' | 'paidAt' | 'commit'>): boolean {
  if (step.commit) return step.commit === 'at-once';
  return step.paidAt !== undefined || step.kind === 'order' || step.kind === 'prolong' || step.kind === 'remove';
}
