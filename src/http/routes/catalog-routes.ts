import { z } from 'zod';
import type { CatalogService } from '../../catalog/catalog-service';
import type { PeriodComparisonService } from '../../catalog/period-comparison-service';
import {
  catalogKeySchema,
  enumerationBodySchema,
  licensingServerBodySchema,
  periodComparisonBodySchema,
  periodSchema,
  tariffPlanBodySchema,
} from '../../catalog/schemas';
import { defineRoute, type AdminWrite, type AnyRouteSpec } from '../route-registry';
import {
  enumerationSchema,
  errorResponseSchema,
  itemsOf,
  licensingServerSchema,
  periodComparisonSchema,
  periodResolutionSchema,
  tariffPlanSchema,
} from '../response-schemas';

const keyParams = z.object({ key: catalogKeySchema });
const error = (description: string) => ({ description, schema: errorResponseSchema });

/** A URL as the audit trail may keep it: no user info, no query (either could carry a credential). */
function withoutCredentials(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

/** PUT/GET/GET-one/DELETE of one keyed catalog collection: reads for admins and viewers, writes for admins. */
function keyedCollectionRoutes<B extends z.ZodType>(options: {
  path: string;
  tag: string;
  noun: string;
  /** The audit trail's subject type, also the middle of the action (`admin.<subjectType>.put`). */
  subjectType: AdminWrite['subjectType'];
  body: B;
  /** What the audit trail keeps of a PUT's body: never a password. */
  auditDetails: (body: z.output<B>) => Record<string, unknown>;
  item: z.ZodType;
  put: (key: string, body: z.output<B>) => Promise<unknown>;
  get: (key: string) => Promise<unknown>;
  list: () => Promise<unknown[]>;
  remove: (key: string) => Promise<void>;
}): AnyRouteSpec[] {
  const { path, tag, noun, subjectType } = options;
  return [
    defineRoute({
      method: 'get',
      path,
      tag,
      auth: { roles: ['admin', 'viewer'] },
      summary: `List ${noun}s`,
      responses: { 200: { description: 'all of them', schema: itemsOf(options.item) }, 401: error('no token') },
      handler: async () => ({ status: 200, body: { items: await options.list() } }),
    }),
    defineRoute({
      method: 'put',
      path: `${path}/:key`,
      tag,
      auth: { roles: ['admin'] },
      summary: `Create or replace a ${noun}`,
      params: keyParams,
      body: options.body,
      responses: {
        200: { description: 'saved', schema: options.item },
        400: error('invalid input'),
        401: error('no token'),
        409: error('managed by the configuration file (`managed_by_config`): change it there'),
        422: error('an unknown reference, or a rule it would break'),
      },
      handler: async ({ params, body }) => ({ status: 200, body: await options.put(params.key, body) }),
      audit: ({ params, body }) => ({
        action: `admin.${subjectType}.put`,
        subjectType,
        subjectId: params.key,
        details: options.auditDetails(body),
      }),
    }),
    defineRoute({
      method: 'get',
      path: `${path}/:key`,
      tag,
      auth: { roles: ['admin', 'viewer'] },
      summary: `Read a ${noun}`,
      params: keyParams,
      responses: { 200: { description: 'found', schema: options.item }, 401: error('no token'), 404: error('unknown') },
      handler: async ({ params }) => ({ status: 200, body: await options.get(params.key) }),
    }),
    defineRoute({
      method: 'delete',
      path: `${path}/:key`,
      tag,
      auth: { roles: ['admin'] },
      summary: `Delete a ${noun}`,
      params: keyParams,
      responses: {
        204: { description: 'deleted' },
        401: error('no token'),
        404: error('unknown'),
        409: error('still referred to (`in_use`), or managed by the configuration file (`managed_by_config`)'),
      },
      handler: async ({ params }) => {
        await options.remove(params.key);
        return { status: 204 };
      },
      audit: ({ params }) => ({ action: `admin.${subjectType}.delete`, subjectType, subjectId: params.key }),
    }),
  ];
}

const resolveQuery = z.object({
  licensingServer: catalogKeySchema.optional(),
  tariffPlan: catalogKeySchema.optional(),
  sourcePeriod: z
    .string()
    .transform((text) => (text === 'lifetime' ? text : Number(text)))
    .pipe(periodSchema),
  priceList: z
    .string()
    .regex(/^\d{1,18}$/)
    .optional(),
});

export function catalogRoutes(catalog: CatalogService, periodComparisons: PeriodComparisonService): AnyRouteSpec[] {
  return [
    ...keyedCollectionRoutes({
      path: '/v1/admin/licensing-servers',
      tag: 'catalog',
      noun: 'licensing server',
      subjectType: 'licensing_server',
      body: licensingServerBodySchema,
      auditDetails: ({ module, url, username, settings }) => ({
        module,
        url: withoutCredentials(url),
        username,
        settings: Object.keys(settings),
      }),
      item: licensingServerSchema,
      put: (key, body) => catalog.putLicensingServer(key, body),
      get: (key) => catalog.getLicensingServer(key),
      list: () => catalog.listLicensingServers(),
      remove: (key) => catalog.deleteLicensingServer(key),
    }),
    ...keyedCollectionRoutes({
      path: '/v1/admin/enumerations',
      tag: 'catalog',
      noun: 'enumeration',
      subjectType: 'enumeration',
      body: enumerationBodySchema,
      auditDetails: ({ name, values }) => ({ name, values: values.map((value) => value.key) }),
      item: enumerationSchema,
      put: (key, body) => catalog.putEnumeration(key, body),
      get: (key) => catalog.getEnumeration(key),
      list: () => catalog.listEnumerations(),
      remove: (key) => catalog.deleteEnumeration(key),
    }),
    ...keyedCollectionRoutes({
      path: '/v1/admin/tariff-plans',
      tag: 'catalog',
      noun: 'tariff plan',
      subjectType: 'tariff_plan',
      body: tariffPlanBodySchema,
      auditDetails: (plan) => ({ ...plan }),
      item: tariffPlanSchema,
      put: (key, body) => catalog.putTariffPlan(key, body),
      get: (key) => catalog.getTariffPlan(key),
      list: () => catalog.listTariffPlans(),
      remove: (key) => catalog.deleteTariffPlan(key),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/admin/period-comparisons',
      tag: 'catalog',
      auth: { roles: ['admin'] },
      summary: 'Add a period comparison rule',
      body: periodComparisonBodySchema,
      responses: {
        201: { description: 'created', schema: periodComparisonSchema },
        400: error('invalid input'),
        401: error('no token'),
        409: error('a rule with the same scope and source exists'),
        422: error('unknown reference, or a target a price list it meets cannot be ordered for'),
      },
      handler: async ({ body }) => ({ status: 201, body: await periodComparisons.createPeriodComparison(body) }),
      audit: ({ body }, result) => ({
        action: 'admin.period_comparison.create',
        subjectType: 'period_comparison',
        subjectId: (result.body as { id: string }).id,
        details: { ...body },
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/admin/period-comparisons',
      tag: 'catalog',
      auth: { roles: ['admin', 'viewer'] },
      summary: 'List period comparison rules',
      responses: { 200: { description: 'all rules', schema: itemsOf(periodComparisonSchema) }, 401: error('no token') },
      handler: async () => ({ status: 200, body: { items: await periodComparisons.listPeriodComparisons() } }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/admin/period-comparisons/resolve',
      tag: 'catalog',
      auth: { roles: ['admin', 'viewer'] },
      summary: 'Which license period a service period gets',
      query: resolveQuery,
      responses: {
        200: { description: 'the decision', schema: periodResolutionSchema },
        400: error('invalid input'),
        401: error('no token'),
        422: error('unknown reference or unusable rules'),
      },
      handler: async ({ query }) => ({ status: 200, body: await periodComparisons.resolvePeriod(query) }),
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/admin/period-comparisons/:id',
      tag: 'catalog',
      auth: { roles: ['admin'] },
      summary: 'Delete a period comparison rule',
      params: z.object({ id: z.string().min(1).max(64) }),
      responses: {
        204: { description: 'deleted' },
        401: error('no token'),
        404: error('unknown rule'),
        409: error('managed by the configuration file (`managed_by_config`)'),
      },
      handler: async ({ params }) => {
        await periodComparisons.deletePeriodComparison(params.id);
        return { status: 204 };
      },
      audit: ({ params }) => ({
        action: 'admin.period_comparison.delete',
        subjectType: 'period_comparison',
        subjectId: params.id,
      }),
    }),
  ];
}
