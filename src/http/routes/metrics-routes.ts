import type { ServiceMetrics } from '../../metrics/service-metrics';
import { defineRoute, type AnyRouteSpec } from '../route-registry';
import { errorResponseSchema } from '../response-schemas';

const error = (description: string) => ({ description, schema: errorResponseSchema });
const tokenErrors: AnyRouteSpec['responses'] = {
  401: error('no token'),
  403: error('a role that may not read metrics'),
};

/**
 * `GET /metrics` (CONTRACT.md "Alerts, metrics, reports"): the Prometheus text format, for admin and viewer tokens,
 * or for anyone when `metrics.public` is true (a Prometheus on a private network without a token file).
 */
export function metricsRoutes(metrics: ServiceMetrics, options: { public: boolean }): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/metrics',
      tag: 'meta',
      auth: options.public ? 'public' : { roles: ['admin', 'viewer'] },
      summary: 'Prometheus metrics of this process and of the state it serves (pool, alerts, money, queue)',
      responses: {
        200: { description: 'Prometheus text exposition format 0.0.4', mediaType: 'text/plain' },
        ...(options.public ? {} : tokenErrors),
      },
      handler: async () => {
        const { contentType, text } = await metrics.scrape();
        return { status: 200, contentType, body: text };
      },
    }),
  ];
}
