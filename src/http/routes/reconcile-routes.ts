import { z } from 'zod';
import { DRIFT_KINDS, type DriftKind, type DriftStore } from '../../db/drift-store';
import type { LicensingServerStore } from '../../db/licensing-server-store';
import type { OperationRecord } from '../../db/operation-store';
import { NotFoundError } from '../../errors';
import { defineRoute, type AnyRouteSpec } from '../route-registry';
import { errorResponseSchema } from '../response-schemas';

const error = (description: string) => ({ description, schema: errorResponseSchema });
const serverKey = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.-]+$/);
const upstreamId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.-]+$/);

const driftItem = z.object({
  id: z.string(),
  licensingServer: z.string(),
  kind: z.enum(DRIFT_KINDS as [DriftKind, ...DriftKind[]]),
  upstreamId: z.string().nullable(),
  licenseId: z.string().nullable(),
  serviceId: z.string().nullable(),
  field: z.string().nullable(),
  local: z.unknown(),
  upstream: z.unknown(),
  detectedAt: z.string(),
});

const adoptBody = z.union([
  z.object({ licensingServer: serverKey, upstreamIds: z.array(upstreamId).min(1).max(1000) }).strict(),
  z.object({ licensingServer: serverKey, all: z.literal(true) }).strict(),
]);

export interface ReconcileRouteDeps {
  drift: Pick<DriftStore, 'list' | 'checkedAt'>;
  licensingServers: Pick<LicensingServerStore, 'get'>;
  /** Records a run of the server and queues it; resolves with the run's id. */
  requestRun(licensingServer: string, requestedBy: string): Promise<string>;
  /** Queues one `license.adopt` operation per license (see `queueAdoptions`). */
  adopt(ask: { licensingServer: string; upstreamIds?: string[]; all?: boolean }): Promise<OperationRecord[]>;
  /** Told of the operations just made, so they run at once. */
  onQueued(operations: readonly OperationRecord[]): void;
}

/** CONTRACT.md "Reconciliation and adoption": a run on demand, the drift list, adoption into the pool. */
export function reconcileRoutes(deps: ReconcileRouteDeps): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/admin/licensing-servers/:key/reconcile',
      tag: 'reconciliation',
      auth: { roles: ['admin'] },
      summary: "Compare the upstream's license list with the service's books now (it only reads upstream)",
      params: z.object({ key: serverKey }),
      responses: {
        202: { description: 'the run is queued', schema: z.object({ runId: z.string() }) },
        401: error('no token'),
        403: error('not an admin token'),
        404: error('no such licensing server'),
      },
      handler: async ({ params, actor }) => {
        if (!(await deps.licensingServers.get(params.key)))
          throw new NotFoundError(`no licensing server ${params.key}`);
        return { status: 202, body: { runId: await deps.requestRun(params.key, actor?.name ?? 'admin') } };
      },
      audit: ({ params }, result) => ({
        action: 'admin.licensing_server.reconcile',
        subjectType: 'licensing_server',
        subjectId: params.key,
        details: { runId: (result.body as { runId: string }).runId },
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/admin/drift',
      tag: 'reconciliation',
      auth: { roles: ['admin', 'viewer'] },
      summary: 'What the last successful reconciliation of each licensing server found',
      query: z.object({ licensingServer: serverKey.optional(), kind: z.enum(DRIFT_KINDS).optional() }),
      responses: {
        200: {
          description: 'the drift items, and when each licensing server was last checked',
          schema: z.object({ items: z.array(driftItem), checkedAt: z.record(z.string(), z.string()) }),
        },
        400: error('invalid filter'),
        401: error('no token'),
        403: error('a role that may not read drift'),
      },
      handler: async ({ query }) => ({
        status: 200,
        body: { items: await deps.drift.list(query), checkedAt: await deps.drift.checkedAt() },
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/admin/licenses/adopt',
      tag: 'reconciliation',
      auth: { roles: ['admin'] },
      summary: 'Make live upstream licenses nobody here knows pooled licenses of ours',
      body: adoptBody,
      responses: {
        202: {
          description: 'one license.adopt operation per license',
          schema: z.object({ operationIds: z.array(z.string()) }),
        },
        400: error('invalid body'),
        401: error('no token'),
        403: error('not an admin token'),
        404: error('no such licensing server'),
        409: error('already_known: the service already holds one of them; nothing was queued'),
      },
      handler: async ({ body }) => {
        const operations = await deps.adopt(body);
        deps.onQueued(operations);
        return { status: 202, body: { operationIds: operations.map((op) => op.id) } };
      },
      audit: ({ body }, result) => ({
        action: 'admin.license.adopt',
        subjectType: 'licensing_server',
        subjectId: body.licensingServer,
        details: {
          ...('all' in body ? { all: true } : { upstreamIds: body.upstreamIds }),
          operationIds: (result.body as { operationIds: string[] }).operationIds,
        },
      }),
    }),
  ];
}
