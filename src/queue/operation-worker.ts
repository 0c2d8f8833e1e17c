import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { OperationRunner } from '../lifecycle/operation-runner';
import type { OperationJob } from './operation-queue';

/**
 * The BullMQ worker: each job names an operation, and the runner claims it in the database. A job delivered twice
 * (BullMQ delivers at least once) finds the operation already claimed or settled and ends quietly.
 */
export function createOperationWorker(options: {
  queueName: string;
  connection: Redis;
  concurrency: number;
  runner: OperationRunner;
  logger: Logger;
}): Worker<OperationJob> {
  const worker = new Worker<OperationJob>(
    options.queueName,
    async (job) => {
      const verdict = await options.runner.run(job.data.operationId);
      return { verdict };
    },
    { connection: options.connection, concurrency: options.concurrency, lockDuration: 60_000, autorun: true },
  );
  worker.on('error', (err) => options.logger.warn({ err: err.message }, 'worker connection error'));
  worker.on('failed', (job, err) =>
    options.logger.error({ jobId: job?.id, err: err.message }, 'operation job crashed'),
  );
  return worker;
}
