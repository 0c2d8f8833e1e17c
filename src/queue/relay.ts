import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { OperationStore } from '../db/operation-store';
import { jobIdFor, type OperationJob } from './operation-queue';

const BATCH = 500;

/**
 * Puts committed operations on the queue: for each service only its oldest unsettled operation whose time has
 * come (so one service has at most one operation in flight, in order, while services run in parallel). It runs
 * right after intake and after every attempt, and periodically, so work that Redis lost, or that a crashed worker
 * held, is enqueued again.
 */
export class Relay {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  /** Job ids this process added recently (job id → when): not re-added until `reenqueueAfterMs` has passed. */
  private readonly enqueued = new Map<string, number>();

  constructor(
    private readonly operations: OperationStore,
    private readonly queue: Queue<OperationJob>,
    private readonly logger: Logger,
    private readonly options: { reenqueueAfterMs: number; now?: () => Date } = { reenqueueAfterMs: 30_000 },
  ) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => this.nudge(), intervalMs);
    this.timer.unref();
    this.nudge();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Redis came back (it may have lost jobs): everything runnable is added again on the next pass. */
  forgetEnqueued(): void {
    this.enqueued.clear();
  }

  /** Asks for a pass soon; passes never overlap, and nudges during a pass cause one more. */
  nudge(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass()
      .then(() => undefined)
      .catch((err) =>
        this.logger.warn(
          { err: err instanceof Error ? err.message : String(err) },
          'relay pass failed; will try again',
        ),
      )
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.nudge();
        }
      });
  }

  /**
   * Puts one just-accepted operation on the queue without a full pass (a hook's hot path). An operation held back
   * behind an earlier one is left to the pass that follows that one's attempt.
   */
  enqueueAccepted(op: { id: string; attempts: number; status: string }): void {
    if (op.status !== 'queued') return;
    const jobId = jobIdFor(op.id, op.attempts);
    if (this.enqueued.has(jobId)) return;
    this.enqueued.set(jobId, (this.options.now?.() ?? new Date()).getTime());
    this.queue.add('operation', { operationId: op.id }, { jobId }).catch((err) => {
      this.enqueued.delete(jobId);
      this.logger.warn(
        { err: err instanceof Error ? err.message : String(err), operationId: op.id },
        'could not enqueue; the relay will',
      );
    });
  }

  /** One pass; returns how many operations were handed to the queue. */
  async pass(): Promise<number> {
    const nowMs = (this.options.now?.() ?? new Date()).getTime();
    for (const [jobId, at] of this.enqueued)
      if (nowMs - at >= this.options.reenqueueAfterMs) this.enqueued.delete(jobId);
    const runnable = await this.operations.listRunnable(new Date(nowMs), BATCH);
    const jobs = runnable
      .map((op) => {
        // Still unclaimed `reenqueueAfterMs` after its last change: its job may be held by a worker that died
        // before claiming it, or sit among failed jobs, and BullMQ ignores an id it still holds. A new id, then.
        const generation = Math.max(0, Math.floor((nowMs - Date.parse(op.updatedAt)) / this.options.reenqueueAfterMs));
        const jobId = jobIdFor(op.id, op.attempts, generation);
        return { name: 'operation', data: { operationId: op.id }, opts: { jobId } };
      })
      .filter((job) => !this.enqueued.has(job.opts.jobId));
    if (jobs.length === 0) return 0;
    await this.queue.addBulk(jobs);
    for (const job of jobs) this.enqueued.set(job.opts.jobId, nowMs);
    return jobs.length;
  }
}
