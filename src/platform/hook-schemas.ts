import net from 'node:net';
import { z } from 'zod';
import { catalogKeySchema, periodSchema } from '../catalog/schemas';
import type { HookEvent } from '../domain/lifecycle';

const ipSchema = z.string().refine((ip) => net.isIP(ip) !== 0, 'must be an IPv4 or IPv6 address');
/** Bounded at intake (it knows now): more than `lifecycle.maxPaidAheadMonths` months ahead is 422 `invalid_service`. */
const paidUntilSchema = z.iso.datetime({ offset: true }).meta({
  description: 'RFC 3339; at most lifecycle.maxPaidAheadMonths (default 36) calendar months past now, else 422',
});
/** Text the database can store: PostgreSQL refuses U+0000, which must not pass the door and fail later. */
const text = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => !s.includes('\u0000'), 'must not contain U+0000');
const serviceId = text(128);
const eventId = text(128);

const openService = z.object({
  id: serviceId,
  name: text(255).optional(),
  ip: ipSchema,
  tariffPlan: catalogKeySchema,
  period: periodSchema,
  paidUntil: paidUntilSchema,
  controlPanel: catalogKeySchema
    .optional()
    .meta({ description: "A value key of the plan's enumeration; absent → the plan's default." }),
});

const setparamService = z
  .object({
    id: serviceId,
    ip: ipSchema.optional(),
    controlPanel: catalogKeySchema.optional(),
    tariffPlan: catalogKeySchema.optional(),
    name: text(255).optional(),
  })
  .refine(
    (s) => s.ip ?? s.controlPanel ?? s.tariffPlan ?? s.name,
    'setparam carries at least one of ip, controlPanel, tariffPlan, name',
  );

/** The body of each hook event, validated at intake and published in the OpenAPI document. */
export const hookBodySchemas = {
  open: z.object({ eventId, service: openService }),
  prolong: z.object({
    eventId,
    service: z.object({ id: serviceId, paidUntil: paidUntilSchema, period: periodSchema.optional() }),
  }),
  suspend: z.object({ eventId, service: z.object({ id: serviceId }) }),
  resume: z.object({ eventId, service: z.object({ id: serviceId }) }),
  close: z.object({ eventId, service: z.object({ id: serviceId, paidUntil: paidUntilSchema.optional() }) }),
  setparam: z.object({ eventId, service: setparamService }),
} satisfies Record<HookEvent, z.ZodType>;

export type HookBody = z.output<(typeof hookBodySchemas)[HookEvent]>;
