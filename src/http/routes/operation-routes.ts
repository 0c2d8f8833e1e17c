import { z } from 'zod';
import type { LicenseStore } from '../../db/license-store';
import type { OperationStore } from '../../db/operation-store';
import type { ServiceStore } from '../../db/service-store';
import { ConflictError, NotFoundError } from '../../errors';
import { defineRoute, type AnyRouteSpec } from '../route-registry';
import { errorResponseSchema } from '../response-schemas';
import { licenseView, operationView, serviceView } from '../../platform/views';
import { mayReadActivationKeys } from '../access';

const error = (description: string) => ({ description, schema: errorResponseSchema });
const operationSchema = z
  .object({
    id: z.string(),
    event: z.string(),
    /** Null for a person's operation on an unbound license, and for a pool order. */
    serviceId: z.string().nullable(),
    status: z.enum(['queued', 'running', 'waiting', 'succeeded', 'failed']),
    attempts: z.number(),
    createdAt: z.string(),
    updatedAt: z.string(),
    result: z
      .object({
        licenseId: z.string().nullable(),
        upstreamId: z.string().nullable(),
        source: z.enum(['pool', 'order', 'none']),
        paidUntil: z.string().nullable(),
      })
      .nullable(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
  })
  .meta({ id: 'Operation' });
const statusSchema = z.enum(['queued', 'running', 'waiting', 'succeeded', 'failed']);

export function operationRoutes(deps: {
  operations: OperationStore;
  services: ServiceStore;
  licenses: LicenseStore;
  onRetry: () => void;
}): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/operations/:id',
      tag: 'operations',
      auth: { roles: ['admin', 'platform', 'viewer'] },
      summary: 'An operation and how it went',
      params: z.object({ id: z.string().min(1).max(64) }),
      responses: {
        200: { description: 'the operation', schema: operationSchema },
        401: error('no token'),
        404: error('unknown operation'),
      },
      handler: async ({ params }) => {
        const op = await deps.operations.get(params.id);
        if (!op) throw new NotFoundError(`no operation "${params.id}"`);
        return { status: 200, body: operationView(op) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/services/:id',
      tag: 'operations',
      auth: { roles: ['admin', 'platform'] },
      summary: 'A service as last known, with its license',
      params: z.object({ id: z.string().min(1).max(128) }),
      responses: {
        200: { description: 'the service and its license (or null)' },
        401: error('no token'),
        404: error('unknown service'),
      },
      handler: async ({ params, actor }) => {
        const service = await deps.services.get(params.id);
        if (!service) throw new NotFoundError(`no service "${params.id}"`);
        const license = await deps.licenses.findByService(params.id);
        return {
          status: 200,
          body: {
            service: serviceView(service),
            license:
              license?.state === 'bound' ? licenseView(license, { showKeys: mayReadActivationKeys(actor) }) : null,
          },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/admin/operations',
      tag: 'operations',
      auth: { roles: ['admin', 'viewer'] },
      summary: 'Operations, newest first',
      query: z.object({
        status: statusSchema.optional(),
        serviceId: z.string().max(128).optional(),
        limit: z.coerce.number().int().min(1).max(1000).default(100),
      }),
      responses: {
        200: { description: 'operations', schema: z.object({ items: z.array(operationSchema) }) },
        400: error('invalid filter'),
        401: error('no token'),
      },
      handler: async ({ query }) => ({
        status: 200,
        body: {
          items: (await deps.operations.list({ status: query.status, serviceId: query.serviceId }, query.limit)).map(
            operationView,
          ),
        },
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/admin/operations/:id/retry',
      tag: 'operations',
      auth: { roles: ['admin'] },
      summary: 'Run a failed or waiting operation again now',
      params: z.object({ id: z.string().min(1).max(64) }),
      responses: {
        202: {
          description: 'queued again',
          schema: z.object({ operationId: z.string(), status: z.literal('queued') }),
        },
        401: error('no token'),
        404: error('unknown operation'),
        409: error('the operation is neither failed nor waiting'),
      },
      handler: async ({ params }) => {
        const retried = await deps.operations.retry(params.id, new Date());
        if (!retried) {
          const op = await deps.operations.get(params.id);
          if (!op) throw new NotFoundError(`no operation "${params.id}"`);
          throw new ConflictError(
            `operation is ${op.status}; only failed or waiting operations can be retried`,
            { status: op.status },
            'not_retryable',
          );
        }
        deps.onRetry();
        return { status: 202, body: { operationId: retried.id, status: 'queued' } };
      },
      audit: async ({ params }) => {
        const op = await deps.operations.get(params.id);
        return {
          action: 'admin.operation.retry',
          subjectType: 'operation',
          subjectId: params.id,
          serviceId: op?.serviceId ?? null,
          licenseId: op?.licenseId ?? null,
          operationId: params.id,
          details: { event: op?.event, serviceId: op?.serviceId },
        };
      },
    }),
  ];
}
