import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { OperationStore } from '../db/operation-store';
import { jobIdFor, type OperationJob } from './operation-queue';

const BATCH = 500;

/**
 * Puts committed operations on the queue: for each service only its oldest unsettled operation whose time has
 * come (so one service has at most one operation in flight, in order, while services run in parallel). It runs
 * right after intake and periodically, so work that Redis lost, or that a crashed worker held, is enqueued again.
 */
export class Relay {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly operations: OperationStore,
    private readonly queue: Queue<OperationJob>,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
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

  /** One pass; returns how many operations were handed to the queue. */
  async pass(): Promise<number> {
    const runnable = await this.operations.listRunnable(this.now(), BATCH);
    if (runnable.length === 0) return 0;
    await this.queue.addBulk(
      runnable.map((op) => ({
        name: 'operation',
        data: { operationId: op.id },
        opts: { jobId: jobIdFor(op.id, op.attempts) },
      })),
    );
    return runnable.length;
  }
}
