import { z } from 'zod';
import { ModuleSettingsError } from '../../src/errors';

/** An upstream period code: BILLmanager accepts numbers or strings (e.g. `-100`); not documented publicly. */
const periodCodeSchema = z.union([z.string().trim().min(1), z.number().int()]);

/** The settings of the `billmanager` module, as stored with a licensing server. */
export const billmanagerSettingsSchema = z.strictObject({
  /**
   * How every call authenticates. `'session'` (default): one `func=auth` login whose session id is reused and renewed
   * when the upstream refuses it. `'authinfo'`: `authinfo=user:pass` on each call.
   */
  auth: z.enum(['session', 'authinfo']).default('session'),
  /** Deadline of one HTTP call, in milliseconds, from connect to the last byte of the reply. Default 15000. */
  timeoutMs: z.number().int().min(1).max(600_000).default(15_000),
  /**
   * The largest reply accepted, in bytes, for every call but the license list (default 1 MiB); a larger one is a
   * protocol error.
   */
  maxResponseBytes: z
    .number()
    .int()
    .min(1024)
    .max(256 * 1024 * 1024)
    .default(1024 * 1024),
  /**
   * The largest reply accepted for the license list (`func=soft`, read by reconciliation, lost-order searches and the
   * connection check), in bytes. Default 32 MiB: about 50,000 licenses at up to ~670 bytes each (the sandbox's list
   * takes about 260 bytes per license; a real upstream may send more fields). BILLmanager documents no paging for
   * list functions, so the whole list comes in one reply.
   */
  listMaxResponseBytes: z
    .number()
    .int()
    .min(1024)
    .max(256 * 1024 * 1024)
    .default(32 * 1024 * 1024),
  /**
   * The upstream's codes for periods that are not a number of months. Not documented publicly: ask the licensing
   * server's owner (the sandbox uses `-100` for lifetime and `-50` for trial). No defaults: ordering or renewing for
   * `lifetime` without `lifetime` configured fails with a `ModuleConfigurationError`.
   */
  periodCodes: z
    .strictObject({
      lifetime: periodCodeSchema.optional(),
      trial: periodCodeSchema.optional(),
    })
    .default({}),
});

/** Validated settings of the `billmanager` module, with defaults applied. */
export type BillmanagerSettings = z.infer<typeof billmanagerSettingsSchema>;

/** The settings given to a licensing server are not valid for this module; the message names the field. */
export class BillmanagerSettingsError extends ModuleSettingsError {}

/**
 * Validates and defaults the module's settings. `undefined` or `null` means "all defaults".
 * @throws BillmanagerSettingsError whose message names each invalid field, e.g. `settings.timeoutMs: …`.
 */
export function parseBillmanagerSettings(settings: unknown): BillmanagerSettings {
  const result = billmanagerSettingsSchema.safeParse(settings ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map(describeIssue);
  throw new BillmanagerSettingsError(`Invalid billmanager settings: ${problems.join('; ')}`);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = ['settings', ...issue.path.map(String)].join('.');
  if (issue.code === 'unrecognized_keys') return `${path}: unknown field(s) ${issue.keys.join(', ')}`;
  return `${path}: ${issue.message}`;
}
