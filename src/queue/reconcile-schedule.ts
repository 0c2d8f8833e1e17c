import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { DriftStore } from '../db/drift-store';
import { reconcileAll, reconcileServer, type ReconcileDeps } from '../lifecycle/reconciler';
import { startScheduledJob } from './scheduled-job';

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
  return startScheduledJob<ReconcileJob>({
    queueName: reconcileQueueName(options.queueName),
    schedulerId: 'license-reconcile',
    job: { name: 'all', data: { all: true } },
    everyMs: options.everyMs,
    // On the interval's grid (not at once, as BullMQ would): every process names the same first slot, so a restart
    // neither adds a run nor postpones the next, and starting a process costs no upstream call.
    startDate: Math.ceil(Date.now() / options.everyMs) * options.everyMs,
    connection: options.connection,
    logger: options.logger,
    process: async (job) => {
      if ('all' in job.data) return (await reconcileAll(options.deps, 'scheduler')).map((run) => run.id);
      const run = await options.deps.drift.getRun(job.data.runId);
      return run ? (await reconcileServer(options.deps, run)).status : 'unknown run';
    },
  });
}
