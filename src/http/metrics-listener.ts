import type { Logger } from 'pino';
import { version } from '../../package.json';
import type { Config } from '../config/schema';
import type { AuditStore } from '../db/audit-store';
import { startHttpServer, type ListeningServer } from '../infra/http-server';
import type { ServiceMetrics } from '../metrics/service-metrics';
import { createHttpApp } from './app';
import { metricsRoutes } from './routes/metrics-routes';

/**
 * The small HTTP server of a worker process (`metrics.port`): only `GET /metrics` (and the OpenAPI document), with
 * the same tokens and `metrics.public` as the API, so a Prometheus scrapes each worker as it scrapes the API.
 */
export async function startMetricsListener(
  metrics: ServiceMetrics,
  config: Config,
  port: number,
  deps: { audit: Pick<AuditStore, 'record'>; logger: Logger },
): Promise<ListeningServer> {
  const { logger } = deps;
  const app = createHttpApp({
    logger,
    tokens: config.auth.tokens,
    audit: deps.audit,
    bodyLimitBytes: config.http.bodyLimitBytes,
    version,
    routes: metricsRoutes(metrics, config.metrics),
  });
  const listening = await startHttpServer(app, { ...config.http, port });
  logger.info({ url: listening.url }, 'worker metrics listening');
  return listening;
}
