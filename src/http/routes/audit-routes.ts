import { z } from 'zod';
import type { AuditStore } from '../../db/audit-store';
import { defineRoute, type AnyRouteSpec } from '../route-registry';
import { errorResponseSchema } from '../response-schemas';

const error = (description: string) => ({ description, schema: errorResponseSchema });
const timeQuery = z.iso.datetime({ offset: true }).transform((t) => new Date(t));
const idQuery = z.string().min(1).max(128);

/** The cursor is the id of the last row shown: the next page starts below it (ids only grow). */
const cursorQuery = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,40}$/)
  .transform((cursor, ctx) => {
    const id = Number(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Number.isSafeInteger(id) && id > 0) return id;
    ctx.addIssue({ code: 'custom', message: 'not a cursor of this list' });
    return z.NEVER;
  });

const auditQuery = z.object({
  licenseId: idQuery.optional(),
  serviceId: idQuery.optional(),
  operationId: idQuery.optional(),
  actor: z.string().min(1).max(64).optional(),
  since: timeQuery.optional(),
  until: timeQuery.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: cursorQuery.optional(),
});

const auditItem = z.object({
  id: z.string(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  licenseId: z.string().nullable(),
  serviceId: z.string().nullable(),
  operationId: z.string().nullable(),
  details: z.record(z.string(), z.unknown()).nullable(),
});

/** `GET /v1/admin/audit` (CONTRACT.md "Audit trail"): newest first, cursor paging stable under inserts. */
export function auditRoutes(deps: { audit: Pick<AuditStore, 'list'> }): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/admin/audit',
      tag: 'audit',
      auth: { roles: ['admin', 'viewer'] },
      summary: 'The audit trail: every license move and every admin write, newest first',
      query: auditQuery,
      responses: {
        200: {
          description: 'a page of audit rows and the cursor of the next',
          schema: z.object({ items: z.array(auditItem), nextCursor: z.string().nullable() }),
        },
        400: error('invalid filter or cursor'),
        401: error('no token'),
        403: error('a role that may not read the audit trail'),
      },
      handler: async ({ query }) => {
        const { limit, cursor, ...filter } = query;
        const page = await deps.audit.list(filter, { limit: limit + 1, beforeId: cursor });
        const rows = page.slice(0, limit);
        const nextCursor =
          page.length > limit ? Buffer.from(String(rows[rows.length - 1]!.id), 'utf8').toString('base64url') : null;
        const items = rows.map((row) => ({ ...row, id: String(row.id) }));
        return { status: 200, body: { items, nextCursor } };
      },
    }),
  ];
}
