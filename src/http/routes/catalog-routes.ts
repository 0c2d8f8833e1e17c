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
import { defineRoute, type AnyRouteSpec } from '../route-registry';
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

/** PUT/GET/GET-one/DELETE of one keyed catalog collection, all behind the admin token. */
function keyedCollectionRoutes<B extends z.ZodType>(options: {
  path: string;
  tag: string;
  noun: string;
  body: B;
  item: z.ZodType;
  put: (key: string, body: z.output<B>) => Promise<unknown>;
  get: (key: string) => Promise<unknown>;
  list: () => Promise<unknown[]>;
  remove: (key: string) => Promise<void>;
}): AnyRouteSpec[] {
  const { path, tag, noun } = options;
  return [
    defineRoute({
      method: 'get',
      path,
      tag,
      auth: 'admin',
      summary: `List ${noun}s`,
      responses: { 200: { description: 'all of them', schema: itemsOf(options.item) }, 401: error('no token') },
      handler: async () => ({ status: 200, body: { items: await options.list() } }),
    }),
    defineRoute({
      method: 'put',
      path: `${path}/:key`,
      tag,
      auth: 'admin',
      summary: `Create or replace a ${noun}`,
      params: keyParams,
      body: options.body,
      responses: {
        200: { description: 'saved', schema: options.item },
        400: error('invalid input'),
        401: error('no token'),
        422: error('an unknown reference, or a rule it would break'),
      },
      handler: async ({ params, body }) => ({ status: 200, body: await options.put(params.key, body) }),
    }),
    defineRoute({
      method: 'get',
      path: `${path}/:key`,
      tag,
      auth: 'admin',
      summary: `Read a ${noun}`,
      params: keyParams,
      responses: { 200: { description: 'found', schema: options.item }, 401: error('no token'), 404: error('unknown') },
      handler: async ({ params }) => ({ status: 200, body: await options.get(params.key) }),
    }),
    defineRoute({
      method: 'delete',
      path: `${path}/:key`,
      tag,
      auth: 'admin',
      summary: `Delete a ${noun}`,
      params: keyParams,
      responses: {
        204: { description: 'deleted' },
        401: error('no token'),
        404: error('unknown'),
        409: error('still referred to'),
      },
      handler: async ({ params }) => {
        await options.remove(params.key);
        return { status: 204 };
      },
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
      body: licensingServerBodySchema,
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
      body: enumerationBodySchema,
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
      body: tariffPlanBodySchema,
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
      auth: 'admin',
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
    }),
    defineRoute({
      method: 'get',
      path: '/v1/admin/period-comparisons',
      tag: 'catalog',
      auth: 'admin',
      summary: 'List period comparison rules',
      responses: { 200: { description: 'all rules', schema: itemsOf(periodComparisonSchema) }, 401: error('no token') },
      handler: async () => ({ status: 200, body: { items: await periodComparisons.listPeriodComparisons() } }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/admin/period-comparisons/resolve',
      tag: 'catalog',
      auth: 'admin',
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
      auth: 'admin',
      summary: 'Delete a period comparison rule',
      params: z.object({ id: z.string().min(1).max(64) }),
      responses: { 204: { description: 'deleted' }, 401: error('no token'), 404: error('unknown rule') },
      handler: async ({ params }) => {
        await periodComparisons.deletePeriodComparison(params.id);
        return { status: 204 };
      },
    }),
  ];
}
