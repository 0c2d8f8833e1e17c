import { z } from 'zod';
import { defineRoute, type AnyRouteSpec } from '../route-registry';
import { errorResponseSchema } from '../response-schemas';

/** Each dependency's answer: true when it answered. */
export type ReadinessProbe = () => Promise<Record<string, boolean>>;

export function healthRoutes(probe: ReadinessProbe): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/healthz',
      tag: 'health',
      auth: 'public',
      summary: 'The process runs',
      responses: { 200: { description: 'alive', schema: z.object({ status: z.literal('ok') }) } },
      handler: async () => ({ status: 200, body: { status: 'ok' } }),
    }),
    defineRoute({
      method: 'get',
      path: '/readyz',
      tag: 'health',
      auth: 'public',
      summary: 'The database and Redis answer',
      responses: {
        200: {
          description: 'ready',
          schema: z.object({ status: z.literal('ok'), checks: z.record(z.string(), z.boolean()) }),
        },
        503: { description: 'a dependency is down', schema: errorResponseSchema },
      },
      handler: async () => {
        const checks = await probe();
        const down = Object.keys(checks).filter((name) => !checks[name]);
        if (down.length === 0) return { status: 200, body: { status: 'ok', checks } };
        return {
          status: 503,
          body: {
            error: { code: 'dependency_down', message: `not ready: ${down.join(', ')} down`, details: { checks } },
          },
        };
      },
    }),
  ];
}
