import { Redis } from 'ioredis';
import { watchRedisConnection } from '../infra/redis-watchdog';
import type { Logger } from 'pino';
import type { Config } from '../config/schema';
import type { LifecycleDeps } from '../lifecycle/lifecycle-deps';
import { OperationRunner, type OperationRunnerOptions } from '../lifecycle/operation-runner';
import { alertChannelsFromConfig } from '../alerts/channels-from-config';
import { AlertDispatcher } from './alert-dispatcher';
import { startAlertSweep, type AlertSweepSetup } from './alert-sweep-schedule';
import { CallbackDispatcher } from './callback-dispatcher';
import { startMaintenance } from './maintenance';
import type { DriftStore } from '../db/drift-store';
import type { LicensingServerStore } from '../db/licensing-server-store';
import { startReconcileSchedule } from './reconcile-schedule';
import { createOperationWorker } from './operation-worker';
import type { Relay } from './relay';

const CALLBACK_INTERVAL_MS = 2000;
/** How often due alert notifications are looked for, besides the nudges after each operation attempt. */
const ALERT_DELIVERY_INTERVAL_MS = 5000;

/** The worker side of a process: operation workers, the scheduled maintenance sweep, and callback delivery. */
export async function startWorkers(options: {
  config: Config;
  deps: LifecycleDeps;
  redisUrl: string;
  relay: Relay;
  logger: Logger;
  /** Reconciliation's own stores (runs and drift, the licensing servers to reconcile). */
  reconcile: { drift: DriftStore; licensingServers: Pick<LicensingServerStore, 'list'> };
  /** Told after every operation attempt, with its verdict and duration (the metrics count them). */
  onAttemptFinished?: OperationRunnerOptions['onAttemptFinished'];
  /** The alert book and what its scheduled sweep reads and writes. */
  alertSweep: AlertSweepSetup;
}) {
  const { config, deps, relay, logger } = options;
  const callbacks = config.platform.callbackUrl
    ? new CallbackDispatcher({
        url: config.platform.callbackUrl,
        secret: config.platform.callbackSecret ?? config.hooks.secret,
        callbacks: deps.callbacks,
        operations: deps.operations,
        logger,
        timeoutMs: config.platform.callbackTimeoutMs,
        maxReplyBytes: config.platform.callbackMaxReplyBytes,
      })
    : null;
  const alertChannels = alertChannelsFromConfig(config);
  const alertDispatcher =
    alertChannels.length > 0
      ? new AlertDispatcher({
          store: deps.alertNotifications,
          channels: alertChannels,
          logger,
          timeoutMs: config.alerts.deliveryTimeoutMs,
        })
      : null;
  const runner = new OperationRunner(deps, {
    callbackDue: callbacks !== null,
    onAttemptFinished: (op, verdict, attempt) => {
      options.onAttemptFinished?.(op, verdict, attempt);
      relay.nudge();
      callbacks?.nudge();
      alertDispatcher?.nudge();
    },
  });
  const workerConnection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  workerConnection.on('error', (err) => logger.debug({ err: err.message }, 'redis connection error'));
  const stopWatch = watchRedisConnection(workerConnection, logger, { name: 'worker' });
  const worker = createOperationWorker({
    queueName: config.worker.queueName,
    connection: workerConnection,
    concurrency: config.worker.concurrency,
    runner,
    logger,
  });
  const maintenance = await startMaintenance({
    queueName: config.worker.queueName,
    connection: workerConnection,
    everyMs: config.worker.schedulerIntervalMs,
    deps,
    retention: config.retention,
    onRenewalsQueued: () => relay.nudge(),
    logger,
  });
  const reconciliation = await startReconcileSchedule({
    queueName: config.worker.queueName,
    connection: workerConnection,
    everyMs: config.reconcile.intervalMs,
    deps: { ...deps, ...options.reconcile },
    logger,
  });
  const alertSweep = await startAlertSweep({
    queueName: config.worker.queueName,
    connection: workerConnection,
    everyMs: config.alerts.sweepIntervalMs,
    setup: options.alertSweep,
    logger,
    onSwept: () => alertDispatcher?.nudge(),
  });
  callbacks?.start(CALLBACK_INTERVAL_MS);
  alertDispatcher?.start(ALERT_DELIVERY_INTERVAL_MS);
  logger.info({ concurrency: config.worker.concurrency, worker: runner.processName }, 'workers running');

  return {
    runner,
    /** Delivers alert notifications; null when no channel is configured. Nudge it after an alert changed. */
    alertDispatcher,
    /** Waits for running operations up to `graceMs`; anything still running then is left to its lease. */
    async close(graceMs: number) {
      const graceful = worker.close();
      const timedOut = await Promise.race([
        graceful.then(() => false),
        new Promise<boolean>((r) => setTimeout(() => r(true), graceMs).unref()),
      ]);
      if (timedOut) {
        logger.warn(
          { graceMs },
          'operations still running at the end of the grace period; their leases will hand them to another worker',
        );
        // BullMQ's forced close would still wait for the running jobs: cut the connection instead and let the
        // graceful close finish (or fail) on its own.
        graceful.catch(() => undefined);
        workerConnection.disconnect();
      }
      stopWatch();
      await maintenance.close();
      await reconciliation.close();
      await alertSweep.close();
      await options.alertSweep.book.idle();
      await callbacks?.stop();
      await alertDispatcher?.stop();
      await workerConnection.quit().catch(() => workerConnection.disconnect());
    },
  };
}
