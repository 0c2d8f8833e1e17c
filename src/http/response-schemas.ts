import { z } from 'zod';
import { catalogKeySchema, enumerationValueSchema, periodSchema, pricesSchema } from '../catalog/schemas';

/** Shapes of the answers, for `/v1/openapi.json`. */

export const errorResponseSchema = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'snake_case, stable' }),
      message: z.string().meta({ description: 'for a person' }),
      details: z.unknown(),
    }),
  })
  .meta({ id: 'Error' });

const timestamps = { createdAt: z.string(), updatedAt: z.string() };

/** Who manages a catalog entry; the admin API answers 409 `managed_by_config` to a PUT or DELETE of a `config` one. */
const managedBy = z.enum(['config', 'api']).meta({
  description: '`config`: declared in the configuration file, which alone changes it; `api`: made through this API.',
});

export const licensingServerSchema = z
  .object({
    key: catalogKeySchema,
    module: z.string(),
    url: z.string(),
    username: z.string(),
    settings: z.record(z.string(), z.unknown()),
    prices: pricesSchema.nullable(),
    managedBy,
    ...timestamps,
  })
  .meta({ id: 'LicensingServer' });

export const enumerationSchema = z
  .object({
    key: catalogKeySchema,
    name: z.string(),
    values: z.array(enumerationValueSchema),
    managedBy,
    ...timestamps,
  })
  .meta({ id: 'Enumeration' });

export const tariffPlanSchema = z
  .object({
    key: catalogKeySchema,
    name: z.string(),
    productType: z.string(),
    licensingServer: z.string(),
    enumeration: z.string(),
    defaultValue: z.string(),
    managedBy,
    ...timestamps,
  })
  .meta({ id: 'TariffPlan' });

export const periodComparisonSchema = z
  .object({
    id: z.string(),
    licensingServer: z.string(),
    sourcePeriod: periodSchema,
    targetPeriod: periodSchema,
    tariffPlan: z.string().nullable(),
    productType: z.string().nullable(),
    managedBy,
    createdAt: z.string(),
  })
  .meta({ id: 'PeriodComparison' });

export const periodResolutionSchema = z
  .object({
    targetPeriod: periodSchema,
    rule: z.string().nullable(),
    reason: z.enum(['rule', 'same', 'minimum']),
  })
  .meta({ id: 'PeriodResolution' });

export const connectionCheckSchema = z
  .object({ ok: z.boolean(), error: z.object({ code: z.string(), message: z.string() }).optional() })
  .meta({ id: 'ConnectionCheck' });

export function itemsOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item) });
}
