import { z } from 'zod';
import { alertView, type AlertStore } from '../../db/alert-store';
import { ALERT_KINDS, ALERT_SEVERITIES } from '../../domain/alerts';
import { defineRoute, type AnyRouteSpec } from '../route-registry';
import { errorResponseSchema } from '../response-schemas';

const error = (description: string) => ({ description, schema: errorResponseSchema });

/** The most alerts one answer lists (newest first). */
const MAX_ALERTS = 500;

const alertSchema = z
  .object({
    id: z.string(),
    kind: z.enum(ALERT_KINDS),
    severity: z.enum(ALERT_SEVERITIES),
    /** What it is about: `{licensingServer}`, `{licenseId, serviceId}`, `{operationId}`, `{licensingServer, priceList}` … */
    subject: z.record(z.string(), z.unknown()),
    message: z.string(),
    openedAt: z.string(),
    /** Notices repeated after `alerts.escalateAfterHours` while open. */
    escalations: z.number(),
    /** When a channel last delivered a notice of it; null while none has been. */
    notifiedAt: z.string().nullable(),
    resolvedAt: z.string().nullable(),
  })
  .meta({ id: 'Alert' });

/** `GET /v1/admin/alerts` (CONTRACT.md "Alerts, metrics, reports"). */
export function alertRoutes(deps: { alerts: Pick<AlertStore, 'list'> }): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/admin/alerts',
      tag: 'alerts',
      auth: { roles: ['admin', 'viewer'] },
      summary: 'Alerts, newest first: open or resolved, of one kind',
      query: z.object({
        state: z.enum(['open', 'resolved']).optional(),
        kind: z.enum(ALERT_KINDS).optional(),
      }),
      responses: {
        200: { description: 'alerts', schema: z.object({ items: z.array(alertSchema) }) },
        400: error('unknown state or kind'),
        401: error('no token'),
        403: error('a role that may not read alerts'),
      },
      handler: async ({ query }) => ({
        status: 200,
        body: { items: (await deps.alerts.list({ state: query.state, kind: query.kind }, MAX_ALERTS)).map(alertView) },
      }),
    }),
  ];
}
