import net from 'node:net';
import { z } from 'zod';
import { catalogKeySchema, periodSchema } from '../../catalog/schemas';
import type { OperationRecord } from '../../db/operation-store';
import type { ManualIntake } from '../../lifecycle/manual-intake';
import { defineRoute, type AnyRouteSpec } from '../route-registry';
import { errorResponseSchema } from '../response-schemas';

const error = (description: string) => ({ description, schema: errorResponseSchema });
const ipSchema = z.string().refine((ip) => net.isIP(ip) !== 0, 'must be an IPv4 or IPv6 address');
const queuedSchema = z.object({ operationId: z.string(), status: z.literal('queued') });

const licenseActionSchema = z.discriminatedUnion('action', [
  z.object({
    action: z.literal('renew'),
    period: periodSchema.optional().meta({ description: "The renewal's period; default the license's own." }),
  }),
  z.object({ action: z.literal('suspend') }),
  z.object({ action: z.literal('resume') }),
  z.object({ action: z.literal('regenerate-key') }),
  z.object({ action: z.literal('change-ip'), ip: ipSchema }),
  z.object({ action: z.literal('delete') }),
]);

const poolOrderSchema = z.object({
  licensingServer: catalogKeySchema,
  priceList: z.string().regex(/^\d{1,18}$/, 'a price-list id (digits)'),
  period: periodSchema,
  count: z.number().int().min(1).max(100),
  ip: ipSchema.optional().meta({ description: "The order's IP; default the server's settings.poolIp, else 0.0.0.0." }),
});

/**
 * Licenses by hand (CONTRACT.md): an action on one license, a service's license given again, licenses ordered into
 * the pool. Each is queued as an operation of the hooks' pipeline (`onQueued` hands it to the relay) and audited
 * with the license, service and operation it touched.
 */
export function manualRoutes(deps: {
  intake: ManualIntake;
  onQueued: (operations: OperationRecord[]) => void;
}): AnyRouteSpec[] {
  const queued = (op: OperationRecord) => ({ operationId: op.id, status: 'queued' as const });
  const queue = (ops: OperationRecord[]) => {
    deps.onQueued(ops);
    return ops;
  };
  return [
    defineRoute({
      method: 'post',
      path: '/v1/admin/licenses/:id/actions',
      tag: 'licenses',
      auth: { roles: ['admin'] },
      summary: 'Renew, suspend, resume, re-key, move or delete one license by hand',
      params: z.object({ id: z.string().min(1).max(64) }),
      body: licenseActionSchema,
      responses: {
        202: { description: 'queued: the operation `license.<action>`', schema: queuedSchema },
        400: error('unknown action, bad ip or period'),
        401: error('no token'),
        403: error('not an admin token'),
        404: error('unknown license'),
        409: error('`license_bound` (delete of a bound license) or `invalid_state` (deleted, or renewing a trial)'),
      },
      handler: async ({ params, body }) => {
        const [op] = queue([await deps.intake.licenseAction(params.id, body)]);
        return { status: 202, body: queued(op!) };
      },
      audit: ({ params, body }, result) => {
        const op = result.body as { operationId: string };
        return {
          action: `admin.license.${body.action}`,
          subjectType: 'license',
          subjectId: params.id,
          licenseId: params.id,
          operationId: op.operationId,
          details: { ...body },
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/admin/services/:id/provide',
      tag: 'operations',
      auth: { roles: ['admin'] },
      summary: 'Give a service its license again, as open would (pool first)',
      params: z.object({ id: z.string().min(1).max(128) }),
      responses: {
        202: { description: 'queued: the operation `service.provide`', schema: queuedSchema },
        401: error('no token'),
        403: error('not an admin token'),
        404: error('unknown service'),
        409: error('`invalid_state`: no control panel, a live license bound, or the service not open'),
      },
      handler: async ({ params }) => {
        const [op] = queue([await deps.intake.provide(params.id)]);
        return { status: 202, body: queued(op!) };
      },
      audit: ({ params }, result) => ({
        action: 'admin.service.provide',
        subjectType: 'service',
        subjectId: params.id,
        serviceId: params.id,
        operationId: (result.body as { operationId: string }).operationId,
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/admin/pool/orders',
      tag: 'licenses',
      auth: { roles: ['admin'] },
      summary: 'Order licenses straight into the pool',
      body: poolOrderSchema,
      responses: {
        202: {
          description: 'queued: one `pool.order` operation per license',
          schema: z.object({ operationIds: z.array(z.string()) }),
        },
        400: error('invalid input'),
        401: error('no token'),
        403: error('not an admin token'),
        422: error('unknown licensing server, a price list none of its plans use, or a period it is not ordered for'),
      },
      handler: async ({ body }) => {
        const ops = queue(await deps.intake.orderIntoPool(body));
        return { status: 202, body: { operationIds: ops.map((op) => op.id) } };
      },
      audit: ({ body }, result) => ({
        action: 'admin.pool.order',
        subjectType: 'licensing_server',
        subjectId: body.licensingServer,
        details: { ...body, operationIds: (result.body as { operationIds: string[] }).operationIds },
      }),
    }),
  ];
}
