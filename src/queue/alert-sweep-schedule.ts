import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AlertBook } from '../lifecycle/alert-book';
import { runAlertSweep, type AlertSweepDeps } from '../lifecycle/alert-sweep';
import { startScheduledJob } from './scheduled-job';

/** What the worker side needs to run the alert sweep. */
export interface AlertSweepSetup {
  book: AlertBook;
  deps: AlertSweepDeps;
}

/** The alert sweep's scheduled-job queue, named after the operation queue. */
export function alertSweepQueueName(queueName: string): string {
  return `${queueName}-alerts`;
}

/**
 * Runs the alert sweep every `everyMs` through a BullMQ job scheduler: one sweep per interval however many worker
 * processes there are (the hourly retries and probes must not multiply with the processes).
 */
export async function startAlertSweep(options: {
  queueName: string;
  connection: Redis;
  everyMs: number;
  setup: AlertSweepSetup;
  logger: Logger;
  /** Told after each sweep (e.g. to nudge the delivery of the notices it wrote). */
  onSwept?: () => void;
}): Promise<{ close(): Promise<void> }> {
  return startScheduledJob({
    queueName: alertSweepQueueName(options.queueName),
    schedulerId: 'alert-sweep',
    job: { name: 'sweep' },
    everyMs: options.everyMs,
    connection: options.connection,
    logger: options.logger,
    process: async () => {
      const report = await runAlertSweep(options.setup.book, options.setup.deps);
      options.onSwept?.();
      return report;
    },
  });
}
