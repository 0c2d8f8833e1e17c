import { z } from 'zod';
import { isPeriod } from '../../domain/period';
import { poolEligibility } from '../../domain/pool-eligibility';
import type { LicenseStore } from '../../db/license-store';
import { defineRoute, type AnyRouteSpec } from '../route-registry';
import { errorResponseSchema } from '../response-schemas';
import { licenseListItemView } from '../../platform/views';
import { mayReadActivationKeys } from '../access';

const error = (description: string) => ({ description, schema: errorResponseSchema });
const timeQuery = z.iso.datetime({ offset: true }).transform((t) => new Date(t));

/** A period as a query value: `12`, `lifetime` or `trial`. */
const periodQuery = z
  .string()
  .max(16)
  .transform((value, ctx) => {
    if (value === 'lifetime' || value === 'trial') return value;
    const months = /^\d{1,4}$/.test(value) ? Number(value) : NaN;
    if (isPeriod(months)) return months;
    ctx.addIssue({ code: 'custom', message: 'a whole number of months, "lifetime" or "trial"' });
    return z.NEVER;
  });

const licenseQuery = z.object({
  /** Our license id or the upstream's. */
  id: z.string().min(1).max(64).optional(),
  period: periodQuery.optional(),
  status: z.enum(['unknown', 'ordered', 'active', 'suspended', 'deleted', 'processing']).optional(),
  ip: z.string().max(64).optional(),
  priceList: z
    .string()
    .regex(/^\d{1,18}$/)
    .optional(),
  name: z.string().max(255).optional(),
  serviceId: z.string().max(128).optional(),
  pooled: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
  expiresBefore: timeQuery.optional(),
  expiresAfter: timeQuery.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(200).optional(),
});

export function licenseRoutes(deps: { licenses: LicenseStore; poolMarginHours: number }): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/admin/licenses',
      tag: 'licenses',
      auth: { roles: ['admin', 'viewer'] },
      summary: "The account's licenses as we know them, filtered like the provider's license list",
      query: licenseQuery,
      responses: {
        200: { description: 'a page of licenses and the cursor of the next' },
        400: error('invalid filter'),
        401: error('no token'),
      },
      handler: async ({ query, actor }) => {
        const { limit, cursor, ...filter } = query;
        const after = cursor ? Buffer.from(cursor, 'base64url').toString('utf8') : undefined;
        const page = await deps.licenses.list(filter, { limit: limit + 1, after });
        const items = page.slice(0, limit);
        const nextCursor =
          page.length > limit ? Buffer.from(items[items.length - 1]!.id, 'utf8').toString('base64url') : null;
        const showKeys = mayReadActivationKeys(actor);
        return { status: 200, body: { items: items.map((l) => licenseListItemView(l, { showKeys })), nextCursor } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/admin/pool',
      tag: 'licenses',
      auth: { roles: ['admin', 'viewer'] },
      summary: 'Paid, unused licenses per licensing server and price list',
      responses: {
        200: {
          description: 'the pool',
          schema: z.object({
            items: z.array(
              z.object({
                licensingServer: z.string(),
                priceList: z.string(),
                pooled: z.number(),
                eligible: z.number(),
                soonestExpiry: z.string().nullable(),
              }),
            ),
          }),
        },
        401: error('no token'),
      },
      handler: async () => {
        const summary = await deps.licenses.poolSummary();
        const eligible = await deps.licenses.countEligible(poolEligibility(new Date(), deps.poolMarginHours));
        const items = summary.map((row) => ({
          ...row,
          eligible:
            eligible.find((e) => e.licensingServer === row.licensingServer && e.priceList === row.priceList)
              ?.eligible ?? 0,
        }));
        return { status: 200, body: { items } };
      },
    }),
  ];
}
