import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { DriftStore } from '../db/drift-store';
import { reconcileAll, reconcileServer, type ReconcileDeps } from '../lifecycle/reconciler';

/** The queue of reconciliation runs: `<worker.queueName>-reconcile`. */
export function reconcileQueueName(queueName: string): string {
  return `${queueName}-reconcile`;
}

/** A job that runs one requested run (`run`), or every licensing server (`all`, the schedule's). */
type ReconcileJob = { runId: string } | { all: true };

/**
 * Asks for a run of one licensing server now (`POST …/reconcile`): the run is recorded `queued` and a worker
 * process picks it up. Works from an `api`-only process too.
 */
export class ReconcileRequests {
  private readonly queue: Queue<ReconcileJob>;

  constructor(
    queueName: string,
    connection: Redis,
    private readonly drift: Pick<DriftStore, 'createRun'>,
  ) {
    this.queue = new Queue<ReconcileJob>(reconcileQueueName(queueName), { connection });
    this.queue.on('error', () => undefined);
  }

  async request(licensingServer: string, requestedBy: string, at: Date): Promise<string> {
    const run = await this.drift.createRun({ licensingServer, requestedBy }, at);
    await this.queue.add('run', { runId: run.id }, { jobId: run.id, removeOnComplete: true, removeOnFail: 100 });
    return run.id;
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

/**
 * The worker side: runs requested runs, and every `everyMs` one run of every licensing server through a BullMQ job
 * scheduler (one per interval however many worker processes there are, as the maintenance sweep).
 */
export async function startReconcileSchedule(options: {
  queueName: string;
  connection: Redis;
  everyMs: number;
  deps: ReconcileDeps & { licensingServers: { list(): Promise<Array<{ key: string }>> } };
  logger: Logger;
}): Promise<{ close(): Promise<void> }> {
  const name = reconcileQueueName(options.queueName);
  const queue = new Queue<ReconcileJob>(name, { connection: options.connection });
  queue.on('error', (err) => options.logger.debug({ err: err.message }, 'reconcile queue connection error'));
  let closed = false;
  const register = async (delayMs: number): Promise<void> => {
    try {
      // On the interval's grid (not at once, as BullMQ would): every process names the same first slot, so a
      // restart neither adds a run nor postpones the next, and starting a process costs no upstream call.
      const startDate = Math.ceil(Date.now() / options.everyMs) * options.everyMs;
      await queue.upsertJobScheduler(
        'license-reconcile',
        { every: options.everyMs, startDate },
        { name: 'all', data: { all: true }, opts: { removeOnComplete: true, removeOnFail: 100 } },
      );
    } catch (err) {
      if (closed) return;
      options.logger.warn({ err: (err as Error).message, retryInMs: delayMs }, 'could not register reconciliation');
      await new Promise((r) => setTimeout(r, delayMs).unref());
      if (!closed) return register(Math.min(delayMs * 2, 60_000));
    }
  };
  const registered = register(1000);
  const worker = new Worker<ReconcileJob>(
    name,
    async (job) => {
      if ('all' in job.data) return (await reconcileAll(options.deps, 'scheduler')).map((run) => run.id);
      const run = await options.deps.drift.getRun(job.data.runId);
      return run ? (await reconcileServer(options.deps, run)).status : 'unknown run';
    },
    { connection: options.connection, concurrency: 1 },
  );
  worker.on('error', (err) => options.logger.warn({ err: err.message }, 'reconcile worker connection error'));
  return {
    async close() {
      closed = true;
      await worker.close();
      await Promise.race([registered, new Promise((r) => setTimeout(r, 1000).unref())]);
      await queue.close();
    },
  };
}
