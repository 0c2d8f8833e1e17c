import { Redis } from 'ioredis';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { findLicensingModule } from '../modules';
import { version } from '../package.json';
import { applyCatalog } from './catalog/apply-catalog';
import { CatalogService } from './catalog/catalog-service';
import { PeriodComparisonService } from './catalog/period-comparison-service';
import type { Config } from './config/schema';
import { assertWorkerTiming, workerTimingEnforced } from './config/startup-checks';
import { createDatabase, databaseKind, migrateToLatest, pingDatabase } from './db/database';
import { createStores, type Stores } from './db/stores';
import { createConsoleRouter } from './console/console-router';
import { createHttpApp } from './http/app';
import { catalogRoutes } from './http/routes/catalog-routes';
import { healthRoutes } from './http/routes/health-routes';
import { hookRoutes } from './http/routes/hook-routes';
import { alertRoutes } from './http/routes/alert-routes';
import { auditRoutes } from './http/routes/audit-routes';
import { reportRoutes } from './http/routes/report-routes';
import { licenseRoutes } from './http/routes/license-routes';
import { licensingServerCheckRoutes } from './http/routes/licensing-server-check-routes';
import { manualRoutes } from './http/routes/manual-routes';
import { operationRoutes } from './http/routes/operation-routes';
import { reconcileRoutes } from './http/routes/reconcile-routes';
import { startHttpServer } from './infra/http-server';
import { startMetricsListener } from './http/metrics-listener';
import { createQueueDashboard, QUEUE_DASHBOARD_PATH } from './http/queue-dashboard';
import { bearerCredentials } from './http/guards';
import { metricsRoutes } from './http/routes/metrics-routes';
import { ServiceMetrics } from './metrics/service-metrics';
import { ensureRedis } from './infra/redis-runtime';
import { pingRedisClient } from './infra/redis-ping';
import { watchRedisConnection } from './infra/redis-watchdog';
import { moduleTimeoutMs } from './domain/worker-timing';
import { AlertBook } from './lifecycle/alert-book';
import { CatalogCache } from './lifecycle/catalog-cache';
import { HookIntake } from './lifecycle/intake';
import { ManualIntake } from './lifecycle/manual-intake';
import type { LifecycleDeps } from './lifecycle/lifecycle-deps';
import { CachingModuleProvider } from './lifecycle/module-provider';
import type { UpstreamCallObserver } from './lifecycle/observed-module';
import { startWorkers } from './queue/start-workers';
import { ReconcileRequests } from './queue/reconcile-schedule';
import { queueAdoptions } from './lifecycle/adoption';
import { createOperationQueue } from './queue/operation-queue';
import { Relay } from './queue/relay';
import { startSandbox, type SandboxHandle } from './sandbox/server';
import { SecretBox } from './security/secret-box';

export type Role = 'all' | 'api' | 'worker';

/** How long another process's catalog change may go unseen by this one's operations. */
const CATALOG_CACHE_TTL_MS = 2000;

export interface RunningService {
  /** Where the HTTP API listens, when this process serves it. */
  url: string | null;
  /** Where a worker process serves its own `/metrics` (`metrics.port`), when it does. */
  metricsUrl: string | null;
  db: Knex;
  stores: Stores;
  catalog: CatalogService;
  relay: Relay;
  sandbox: SandboxHandle | null;
  /** Stops intake, lets running operations finish (within `worker.shutdownGraceMs`), then closes everything. */
  stop(): Promise<void>;
}

/**
 * Builds the service from a validated configuration: database and migrations, Redis, the module registry, the
 * catalog, then the HTTP API (role `all` or `api`) and the workers (role `all` or `worker`). Stopping undoes it
 * in reverse order.
 */
export async function startService(config: Config, logger: Logger, role: Role = 'all'): Promise<RunningService> {
  const stack: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const undo of stack.splice(0).reverse())
      await undo().catch((err) => logger.warn({ err }, 'error while stopping'));
  };
  try {
    const db = createDatabase(config.database.url);
    stack.push(() => db.destroy());
    const applied = await migrateToLatest(db);
    logger.info({ database: databaseKind(db), applied }, 'database ready');

    const redisRuntime = await ensureRedis({ configuredUrl: config.redis.url, varDir: config.varDir, logger });
    stack.push(() => redisRuntime.stop());
    // No offline queue and a command time-out: a hook must never wait on Redis, which only carries work.
    const producer = new Redis(redisRuntime.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: 5000,
    });
    producer.on('error', (err) => logger.debug({ err: err.message }, 'redis connection error'));
    const stopProducerWatch = watchRedisConnection(producer, logger, { name: 'producer' });
    stack.push(async () => stopProducerWatch());
    stack.push(async () => void producer.disconnect());

    const sandbox = await maybeStartSandbox(config, logger);
    if (sandbox) stack.push(() => sandbox.close());

    const secretBox = new SecretBox(config.encryptionKey, config.encryptionKeyPrevious);
    if (config.encryptionKeyPrevious) {
      logger.warn(
        { keyId: secretBox.keyId },
        'ENCRYPTION_KEY_PREVIOUS is set: run `npm run rotate-key`, then remove it (see README "Secrets at rest")',
      );
    }
    const stores = createStores(db, secretBox);
    const catalogCache = new CatalogCache(stores, CATALOG_CACHE_TTL_MS);
    const catalogDeps = {
      db,
      ...stores,
      secretBox,
      findModule: findLicensingModule,
      now: () => new Date(),
      onChange: () => catalogCache.clear(),
      workerTiming: workerTimingEnforced(config.env) ? config.worker : undefined,
    };
    const catalog = new CatalogService(catalogDeps);
    const periodComparisons = new PeriodComparisonService(catalogDeps);
    if (config.catalog) await applyCatalog(catalog, periodComparisons, config.catalog, { sandbox }, logger);
    const storedTimeouts = (await catalog.listLicensingServers()).map((server) => moduleTimeoutMs(server.settings));
    assertWorkerTiming(config, Math.max(0, ...storedTimeouts), 'the stored licensing servers');

    // Told of every licensing-server call: metrics count them, alerts learn whether a server answers.
    const upstreamObservers: UpstreamCallObserver[] = [];
    const alertBook = new AlertBook({ db, ...stores, config: config.alerts, logger, now: () => new Date() });
    upstreamObservers.push(alertBook.observeUpstreamCall);
    stack.push(() => alertBook.idle());
    const deps: LifecycleDeps = {
      db,
      ...stores,
      licensingServers: catalogCache.licensingServers,
      tariffPlans: catalogCache.tariffPlans,
      enumerations: catalogCache.enumerations,
      periodComparisons: catalogCache.periodComparisons,
      modules: new CachingModuleProvider(catalog, findLicensingModule, logger, undefined, upstreamObservers),
      alertSignals: alertBook,
      settings: {
        ...config.lifecycle,
        leaseMs: config.worker.leaseMs,
        reconcileDelayMs: config.worker.reconcileDelayMs,
      },
      logger,
      now: () => new Date(),
    };
    const queue = createOperationQueue(config.worker.queueName, producer);
    queue.on('error', (err) => logger.debug({ err: err.message }, 'queue connection error'));
    stack.push(() => queue.close());
    // The process serving the API also serves the state gauges (database, queue); every process counts its own work.
    const metrics = new ServiceMetrics(
      role === 'worker' ? {} : { state: { store: stores.metrics, operationQueue: queue, config, logger } },
    );
    upstreamObservers.push(metrics.activity.observeUpstreamCall);
    // Re-adding a job BullMQ still holds is a no-op, so it is done only now and then, and at once after a reconnect.
    const relay = new Relay(stores.operations, queue, logger, { reenqueueAfterMs: config.worker.relayIntervalMs * 10 });
    producer.on('ready', () => relay.forgetEnqueued());
    relay.start(config.worker.relayIntervalMs);
    stack.push(() => relay.stop());
    const reconcileRequests = new ReconcileRequests(config.worker.queueName, producer, stores.drift);
    stack.push(() => reconcileRequests.close());

    if (role !== 'api') {
      const workers = await startWorkers({
        config,
        deps,
        redisUrl: redisRuntime.url,
        relay,
        logger,
        reconcile: { drift: stores.drift, licensingServers: stores.licensingServers },
        onAttemptFinished: metrics.activity.observeAttempt,
        alertSweep: {
          book: alertBook,
          deps: {
            ...deps,
            ...stores,
            settings: { ...config.alerts, poolMarginHours: config.lifecycle.poolMarginHours },
            onRetried: () => relay.nudge(),
          },
        },
      });
      stack.push(() => workers.close(config.worker.shutdownGraceMs));
    }

    let url: string | null = null;
    let metricsUrl: string | null = null;
    if (role === 'worker' && config.metrics.port !== undefined) {
      const listening = await startMetricsListener(metrics, config, config.metrics.port, { ...stores, logger });
      stack.push(() => listening.close());
      metricsUrl = listening.url;
    }
    if (role !== 'worker') {
      const credentials = [bearerCredentials(config.auth.tokens)];
      const { queueName } = config.worker;
      const dashboard = createQueueDashboard({ operationQueue: queue, queueName, connection: producer, credentials });
      stack.push(() => dashboard.close());
      const intake = new HookIntake(deps);
      let loopbackUrl: string | null = null;
      const app = createHttpApp({
        logger,
        tokens: config.auth.tokens,
        audit: stores.audit,
        bodyLimitBytes: config.http.bodyLimitBytes,
        version,
        hooks: { secret: config.hooks.secret, toleranceSeconds: config.hooks.toleranceSeconds },
        routes: [
          ...healthRoutes(async () => ({ database: await pingDatabase(db), redis: await pingRedisClient(producer) })),
          ...hookRoutes(intake, (operation) => relay.enqueueAccepted(operation)),
          ...operationRoutes({ ...stores, onRetry: () => relay.nudge() }),
          ...licenseRoutes({ licenses: stores.licenses, poolMarginHours: config.lifecycle.poolMarginHours }),
          ...manualRoutes({
            intake: new ManualIntake({
              ...deps,
              licensingServers: stores.licensingServers,
              tariffPlanList: stores.tariffPlans,
            }),
            onQueued: (operations) => operations.forEach((op) => relay.enqueueAccepted(op)),
          }),
          ...auditRoutes(stores),
          ...reportRoutes({ ...stores, poolMarginHours: config.lifecycle.poolMarginHours }),
          ...alertRoutes(stores),
          ...reconcileRoutes({
            ...stores,
            requestRun: (server, requestedBy) => reconcileRequests.request(server, requestedBy, new Date()),
            adopt: (ask) => queueAdoptions({ ...deps, licensingServers: stores.licensingServers }, ask),
            onQueued: (operations) => operations.forEach((op) => relay.enqueueAccepted(op)),
          }),
          ...catalogRoutes(catalog, periodComparisons),
          ...licensingServerCheckRoutes(catalog, findLicensingModule, logger),
          ...metricsRoutes(metrics, config.metrics),
        ],
        mounts: [{ path: QUEUE_DASHBOARD_PATH, handlers: dashboard.handlers }],
        console: createConsoleRouter({
          tokens: config.auth.tokens,
          sessions: stores.consoleSessions,
          apiUrl: () => loopbackUrl,
          logger,
        }),
      });
      // The console calls the API over plain HTTP on loopback: no certificate to match, whatever `http.tls` says.
      const loopback = await startHttpServer(app, { ...config.http, host: '127.0.0.1', port: 0, tls: undefined });
      stack.push(() => loopback.close());
      loopbackUrl = loopback.url;
      const listening = await startHttpServer(app, config.http);
      // Stopping begins here: no new hooks are taken while running operations finish.
      stack.push(() => listening.close());
      url = listening.url;
      logger.info(
        { url, role, host: config.http.host },
        config.http.tls ? 'HTTPS API listening' : 'HTTP API listening',
      );
    }
    return { url, metricsUrl, db, stores, catalog, relay, sandbox, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Outside production only, the in-process sandbox serves the catalog's `"url": "sandbox"` licensing servers. */
async function maybeStartSandbox(config: Config, logger: Logger): Promise<SandboxHandle | null> {
  const sandboxServers = config.catalog?.licensingServers.filter((s) => s.url === 'sandbox') ?? [];
  if (config.env === 'production' || config.sandbox.enabled === false || sandboxServers.length === 0) return null;
  const sandbox = await startSandbox({
    accounts: sandboxServers.map((s) => ({ username: s.username, password: s.password })),
  });
  logger.warn(
    { sandbox: sandbox.apiUrl, licensingServers: sandboxServers.map((s) => s.key) },
    'development: the in-process SANDBOX licensing server stands in for these licensing servers; nothing real is ordered',
  );
  return sandbox;
}
