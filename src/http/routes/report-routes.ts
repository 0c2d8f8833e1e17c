import { z } from 'zod';
import type { KnexLicenseCostStore } from '../../db/license-cost-store';
import type { LicensingServerStore } from '../../db/licensing-server-store';
import { startOfMonthUtc } from '../../domain/lifecycle';
import { poolEligibility } from '../../domain/pool-eligibility';
import { buildSavingsReport } from '../../domain/savings-report';
import { InvalidInputError } from '../../errors';
import { errorResponseSchema } from '../response-schemas';
import { defineRoute, type AnyRouteSpec } from '../route-registry';

const error = (description: string) => ({ description, schema: errorResponseSchema });

/** An RFC 3339 time, or a date: the start of that day for `from`, its end for `to` (UTC). */
const boundQuery = (end: 'start' | 'end') =>
  z.union(
    [
      z.iso.datetime({ offset: true }).transform((t) => new Date(t)),
      z.iso.date().transform((d) => new Date(`${d}T${end === 'start' ? '00:00:00.000' : '23:59:59.999'}Z`)),
    ],
    { error: 'an RFC 3339 time (2026-12-01T00:00:00Z) or a date (2026-12-01)' },
  );

const reportQuery = z.object({
  from: boundQuery('start').optional().meta({ description: 'Default: the start of the current UTC month.' }),
  to: boundQuery('end').optional().meta({ description: 'Default: now. A date means the end of that day.' }),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .optional()
    .meta({ description: 'Sum money in this currency; default: the one of most priced events, else of the prices.' }),
});

const money = z.number().nullable().meta({ description: 'Null when no event of the sum was priced, never 0.' });

export const savingsReportSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    currency: z.string().nullable(),
    orders: z.object({ count: z.number(), cost: money }),
    renewals: z.object({ count: z.number(), cost: money }),
    reuses: z.object({ count: z.number(), costAvoided: money }),
    idle: z.object({ licenses: z.number(), paidDays: z.number(), value: money }),
    unpriced: z.number().meta({ description: 'Events with no price in the report currency.' }),
    byPriceList: z.array(
      z.object({
        licensingServer: z.string(),
        priceList: z.string(),
        orders: z.number(),
        reuses: z.number(),
        renewals: z.number(),
        cost: money,
        costAvoided: money,
      }),
    ),
    byTariffPlan: z.array(z.object({ tariffPlan: z.string(), services: z.number(), cost: money })),
  })
  .meta({ id: 'SavingsReport' });

export interface ReportRouteDeps {
  licenseCosts: Pick<KnexLicenseCostStore, 'summarize' | 'servicesPerTariffPlan' | 'idleLicenses'>;
  licensingServers: Pick<LicensingServerStore, 'list'>;
  /** `lifecycle.poolMarginHours`: idle licenses are those the pool could give a service now. */
  poolMarginHours: number;
  now?: () => Date;
}

/** `GET /v1/admin/reports/savings` (CONTRACT.md "Alerts, metrics, reports"). */
export function reportRoutes(deps: ReportRouteDeps): AnyRouteSpec[] {
  const clock = deps.now ?? (() => new Date());
  return [
    defineRoute({
      method: 'get',
      path: '/v1/admin/reports/savings',
      tag: 'reports',
      auth: { roles: ['admin', 'viewer'] },
      summary: 'What was ordered and renewed and what it cost, what the pool saved, and what sits idle in it',
      query: reportQuery,
      responses: {
        200: { description: 'the report over the range', schema: savingsReportSchema },
        400: error('a bound that is neither an RFC 3339 time nor a date, or from after to'),
        401: error('no token'),
        403: error('a role that may not read reports'),
      },
      handler: async ({ query }) => {
        const now = clock();
        const range = { from: query.from ?? startOfMonthUtc(now), to: query.to ?? now };
        if (range.from > range.to)
          throw new InvalidInputError('from is after to', {
            from: range.from.toISOString(),
            to: range.to.toISOString(),
          });
        const [groups, servicesPerTariffPlan, idle, servers] = await Promise.all([
          deps.licenseCosts.summarize(range),
          deps.licenseCosts.servicesPerTariffPlan(range),
          deps.licenseCosts.idleLicenses(poolEligibility(now, deps.poolMarginHours)),
          deps.licensingServers.list(),
        ]);
        const pricesByServer = new Map(servers.map((server) => [server.key, server.prices] as const));
        const report = buildSavingsReport({
          range,
          now,
          groups,
          servicesPerTariffPlan,
          idle,
          pricesByServer,
          currency: query.currency,
        });
        return { status: 200, body: report };
      },
    }),
  ];
}
