import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface ScheduledJobOptions<T> {
  /** The BullMQ queue the schedule and its worker use. */
  queueName: string;
  /** The job scheduler's id: one schedule per id, however many processes register it. */
  schedulerId: string;
  /** What the scheduled job is called and carries. */
  job: { name: string; data?: T };
  everyMs: number;
  /** The first run (ms since the epoch); BullMQ's default is at once. */
  startDate?: number;
  connection: Redis;
  logger: Logger;
  /** Runs each job of the queue, the scheduled ones and any other added to it. */
  process: (job: Job<T>) => Promise<unknown>;
}

/**
 * A job that runs once per interval through a BullMQ job scheduler, however many worker processes there are, worked
 * by a worker of concurrency 1 in each process. Redis may be down at start: the schedule keeps trying to register
 * (with back-off up to a minute) without holding up start-up.
 */
export async function startScheduledJob<T>(options: ScheduledJobOptions<T>): Promise<{ close(): Promise<void> }> {
  const { queueName, logger } = options;
  const queue = new Queue(queueName, { connection: options.connection });
  queue.on('error', (err) => logger.debug({ err: err.message, queue: queueName }, 'scheduled queue connection error'));
  let closed = false;
  const register = async (delayMs: number): Promise<void> => {
    try {
      await queue.upsertJobScheduler(
        options.schedulerId,
        { every: options.everyMs, ...(options.startDate === undefined ? {} : { startDate: options.startDate }) },
        { name: options.job.name, data: options.job.data, opts: { removeOnComplete: true, removeOnFail: 100 } },
      );
    } catch (err) {
      if (closed) return;
      logger.warn(
        { err: (err as Error).message, scheduler: options.schedulerId, retryInMs: delayMs },
        'could not register a schedule; retrying',
      );
      await new Promise((r) => setTimeout(r, delayMs).unref());
      if (!closed) return register(Math.min(delayMs * 2, 60_000));
    }
  };
  const registered = register(1000);
  const worker = new Worker<T>(queueName, options.process, { connection: options.connection, concurrency: 1 });
  worker.on('error', (err) => logger.warn({ err: err.message, queue: queueName }, 'scheduled worker connection error'));
  return {
    async close() {
      closed = true;
      await worker.close();
      await Promise.race([registered, new Promise((r) => setTimeout(r, 1000).unref())]);
      await queue.close();
    },
  };
}
