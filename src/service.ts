import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { findLicensingModule } from '../modules';
import { applyCatalog } from './catalog/apply-catalog';
import { CatalogService } from './catalog/catalog-service';
import type { Config } from './config/schema';
import { createDatabase, migrateToLatest, pingDatabase } from './db/database';
import { KnexEnumerationStore } from './db/enumeration-store';
import { KnexLicensingServerStore } from './db/licensing-server-store';
import { KnexPeriodComparisonStore } from './db/period-comparison-store';
import { KnexTariffPlanStore } from './db/tariff-plan-store';
import { createHttpApp } from './http/app';
import { catalogRoutes } from './http/routes/catalog-routes';
import { healthRoutes } from './http/routes/health-routes';
import { licensingServerCheckRoutes } from './http/routes/licensing-server-check-routes';
import { ensureRedis, type RedisRuntime } from './infra/redis-runtime';
import { startSandbox, type SandboxHandle } from './sandbox/server';
import { SecretBox } from './security/secret-box';
import { version } from '../package.json';

export type Role = 'all' | 'api' | 'worker';

export interface RunningService {
  /** Where the HTTP API listens, when this process serves it. */
  url: string | null;
  db: Knex;
  catalog: CatalogService;
  stop(): Promise<void>;
}

/**
 * Builds the service from a validated configuration: database and migrations, Redis, the module registry, the
 * catalog, then the HTTP API (role `all` or `api`). Stopping undoes it in reverse order.
 */
export async function startService(config: Config, logger: Logger, role: Role = 'all'): Promise<RunningService> {
  const stack: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const undo of stack.reverse()) await undo().catch((err) => logger.warn({ err }, 'error while stopping'));
  };
  try {
    const db = createDatabase(config.database.url);
    stack.push(() => db.destroy());
    const applied = await migrateToLatest(db);
    logger.info({ database: db.client.config.client, applied }, 'database ready');

    const redisRuntime: RedisRuntime = await ensureRedis({
      configuredUrl: config.redis.url,
      varDir: config.varDir,
      logger,
    });
    stack.push(() => redisRuntime.stop());
    const redis = new Redis(redisRuntime.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      lazyConnect: false,
    });
    redis.on('error', (err) => logger.debug({ err: err.message }, 'redis connection error'));
    stack.push(async () => void redis.disconnect());

    const sandbox = await maybeStartSandbox(config, logger);
    if (sandbox) stack.push(() => sandbox.close());

    const catalog = new CatalogService({
      db,
      licensingServers: new KnexLicensingServerStore(db),
      enumerations: new KnexEnumerationStore(db),
      tariffPlans: new KnexTariffPlanStore(db),
      periodComparisons: new KnexPeriodComparisonStore(db),
      secretBox: new SecretBox(config.encryptionKey),
      findModule: findLicensingModule,
      now: () => new Date(),
    });
    if (config.catalog) await applyCatalog(catalog, config.catalog, { sandbox }, logger);

    let url: string | null = null;
    if (role !== 'worker') {
      const app = createHttpApp({
        logger,
        adminToken: config.admin.token,
        bodyLimitBytes: config.http.bodyLimitBytes,
        version,
        routes: [
          ...healthRoutes(async () => ({ database: await pingDatabase(db), redis: await pingRedisClient(redis) })),
          ...catalogRoutes(catalog),
          ...licensingServerCheckRoutes(catalog, findLicensingModule, logger),
        ],
      });
      const server = http.createServer(app);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.http.port, config.http.host, () => resolve());
      });
      stack.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
      const { port } = server.address() as AddressInfo;
      url = `http://${config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host}:${port}`;
      logger.info({ url, role }, 'HTTP API listening');
    }
    return { url, db, catalog, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function pingRedisClient(redis: Redis): Promise<boolean> {
  try {
    const answer = await Promise.race([
      redis.ping(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 1000)),
    ]);
    return answer === 'PONG';
  } catch {
    return false;
  }
}

/** Outside production, the in-process sandbox serves the catalog's `"url": "sandbox"` licensing servers. */
async function maybeStartSandbox(config: Config, logger: Logger): Promise<SandboxHandle | null> {
  const sandboxServers = config.catalog?.licensingServers.filter((s) => s.url === 'sandbox') ?? [];
  const enabled = config.sandbox.enabled === 'auto' ? config.env !== 'production' : config.sandbox.enabled;
  if (!enabled || sandboxServers.length === 0) return null;
  const sandbox = await startSandbox({
    accounts: sandboxServers.map((s) => ({ username: s.username, password: s.password })),
  });
  logger.warn(
    { sandbox: sandbox.apiUrl, licensingServers: sandboxServers.map((s) => s.key) },
    'development: the in-process SANDBOX licensing server stands in for these licensing servers; nothing real is ordered',
  );
  return sandbox;
}
