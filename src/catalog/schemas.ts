import { z } from 'zod';
import { TRIAL_PERIOD } from '../domain/period';
import type { Prices } from '../domain/prices';

/**
 * The request shapes of the provider catalog. The admin API validates with them, the config file's `catalog`
 * block reuses them, and `/v1/openapi.json` is generated from them, so the three cannot drift apart.
 */

export const catalogKeySchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a key is 1–64 letters, digits, dots, dashes or underscores');

export const periodSchema = z
  .union([z.number().int().positive().max(1200), z.literal('lifetime')])
  .meta({ description: 'A positive whole number of months, or "lifetime".' });

const PRICE_LIST_ID = /^\d{1,18}$/;
/** A period key of a price: a whole number of months up to 1200, `lifetime` or `trial` (see `domain/period.ts`). */
const isPricePeriodKey = (key: string) =>
  key === 'lifetime' || key === TRIAL_PERIOD || (/^[1-9]\d{0,3}$/.test(key) && Number(key) <= 1200);
const amountSchema = z.number().min(0).max(999_999_999_999).meta({ description: 'An amount of money, at least 0.' });

export const pricesSchema = z
  .object({
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'currency is a 3-letter ISO 4217 code, e.g. "EUR"')
      .meta({ description: 'ISO 4217 code of every amount, e.g. "EUR".' }),
  })
  .catchall(z.record(z.string(), amountSchema))
  .superRefine((prices, ctx) => {
    for (const [priceList, amounts] of Object.entries(prices)) {
      if (priceList === 'currency') continue;
      if (!PRICE_LIST_ID.test(priceList))
        ctx.addIssue({ code: 'custom', path: [priceList], message: 'a price list is named by its id (digits)' });
      for (const period of Object.keys(amounts as Record<string, number>).filter((key) => !isPricePeriodKey(key)))
        ctx.addIssue({
          code: 'custom',
          path: [priceList, period],
          message: 'a period is a whole number of months (1–1200), "lifetime" or "trial"',
        });
    }
  })
  .meta({
    description:
      'What the licensing server charges: `currency`, and per price-list id the amount per period ' +
      '(`{"currency": "EUR", "3541": {"1": 10, "12": 100, "lifetime": 500, "trial": 0}}`). Orders, renewals and ' +
      'pool reuses are priced with the prices of their moment.',
  });

export const licensingServerBodySchema = z.object({
  module: z.string().min(1).meta({ description: 'The module id, e.g. "billmanager".' }),
  url: z.url({ protocol: /^https?$/ }).meta({ description: 'The licensing API endpoint URL.' }),
  username: z.string().min(1).max(255),
  password: z.string().min(1).max(1024).meta({ description: 'Stored encrypted; never returned.', writeOnly: true }),
  settings: z.record(z.string(), z.unknown()).default({}).meta({ description: "The module's settings." }),
  prices: pricesSchema.nullish(),
});
/** With `prices` typed as the domain reads them (zod's inferred type cannot say "`currency`, else price lists"). */
export type LicensingServerBody = Omit<z.infer<typeof licensingServerBodySchema>, 'prices'> & {
  prices?: Prices | null;
};

export const enumerationValueSchema = z.object({
  key: catalogKeySchema,
  name: z.string().min(1).max(255),
  internalName: z
    .string()
    .regex(/^(\d{1,18}|nopanel)$/, 'internalName is a price-list id (digits) or "nopanel"')
    .meta({ description: 'The upstream price-list id (digits), or "nopanel" for no license.' }),
  periods: z
    .array(periodSchema.or(z.literal(TRIAL_PERIOD)))
    .min(1)
    .refine((periods) => !periods.includes(TRIAL_PERIOD) || periods.length === 1, {
      message: '"trial" is a period of its own: a trial value\'s periods are exactly ["trial"]',
    })
    .optional()
    .meta({
      description:
        'What the price list can be ordered for; default [1, 12, "lifetime"]. Exactly ["trial"] makes a trial value: ' +
        'one trial license per IP, never pooled or renewed, period comparisons do not apply.',
    }),
});
export type EnumerationValueBody = z.infer<typeof enumerationValueSchema>;

export const enumerationBodySchema = z.object({
  name: z.string().min(1).max(255),
  values: z
    .array(enumerationValueSchema)
    .min(1)
    .refine((values) => new Set(values.map((v) => v.key)).size === values.length, 'value keys must be unique'),
});
export type EnumerationBody = z.infer<typeof enumerationBodySchema>;

export const tariffPlanBodySchema = z.object({
  name: z.string().min(1).max(255),
  productType: catalogKeySchema.meta({ description: 'The product type, e.g. "vds".' }),
  licensingServer: catalogKeySchema,
  enumeration: catalogKeySchema,
  defaultValue: catalogKeySchema.meta({ description: 'The enumeration value used when a hook names none.' }),
});
export type TariffPlanBody = z.infer<typeof tariffPlanBodySchema>;

export const periodComparisonBodySchema = z.object({
  licensingServer: catalogKeySchema,
  sourcePeriod: periodSchema,
  targetPeriod: periodSchema,
  tariffPlan: catalogKeySchema.nullish().meta({ description: 'Scope the rule to one tariff plan.' }),
  productType: catalogKeySchema.nullish().meta({ description: 'Scope the rule to one product type.' }),
});
export type PeriodComparisonBody = z.infer<typeof periodComparisonBodySchema>;

/** The config file's declarative catalog, applied idempotently at start. */
export const catalogConfigSchema = z.object({
  licensingServers: z
    .array(
      licensingServerBodySchema.extend({
        key: catalogKeySchema,
        url: licensingServerBodySchema.shape.url.or(z.literal('sandbox')).meta({
          description: 'The licensing API endpoint URL, or "sandbox" for the in-process sandbox (development only).',
        }),
      }),
    )
    .default([]),
  enumerations: z.array(enumerationBodySchema.extend({ key: catalogKeySchema })).default([]),
  tariffPlans: z.array(tariffPlanBodySchema.extend({ key: catalogKeySchema })).default([]),
  periodComparisons: z.array(periodComparisonBodySchema).default([]),
});
export type CatalogConfig = z.infer<typeof catalogConfigSchema>;
