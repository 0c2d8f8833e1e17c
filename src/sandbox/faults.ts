import { z } from 'zod';
import type { FaultSpec } from './types';

const times = z.union([
  z.number().int().positive(),
  z.literal(Infinity),
  z.literal('Infinity').transform(() => Infinity),
]);
const target = { func: z.string().min(1).optional(), times: times.optional() };

/** A FaultSpec as JSON or as an object; `times` may be the string `"Infinity"` (JSON has no Infinity). */
export const faultSpecSchema = z.discriminatedUnion('kind', [
  z.object({ ...target, kind: z.literal('latency'), ms: z.number().int().nonnegative() }),
  z.object({ ...target, kind: z.literal('http'), status: z.number().int().min(100).max(599) }),
  z.object({
    ...target,
    kind: z.literal('error'),
    type: z.string().min(1),
    object: z.string().optional(),
    message: z.string().optional(),
  }),
  z.object({ ...target, kind: z.literal('drop') }),
  z.object({ ...target, kind: z.literal('performThenDrop') }),
  z.object({ ...target, kind: z.literal('garbage') }),
  z.object({ ...target, kind: z.literal('truncate') }),
]);

interface ArmedFault {
  spec: FaultSpec;
  remaining: number;
}

/** Faults armed for coming API calls; each call takes at most one, the earliest armed that matches it. */
export class FaultBoard {
  private armed: ArmedFault[] = [];

  /** Arms a fault (validated; throws on a malformed spec). */
  arm(fault: unknown): FaultSpec {
    const spec = faultSpecSchema.parse(fault) as FaultSpec;
    this.armed.push({ spec, remaining: spec.times ?? 1 });
    return spec;
  }

  clear(): void {
    this.armed = [];
  }

  /** The fault to apply to a call of `func`, counting it as used; undefined when none matches. */
  take(func: string): FaultSpec | undefined {
    const index = this.armed.findIndex((a) => a.spec.func === undefined || a.spec.func === func);
    const match = this.armed[index];
    if (!match) return undefined;
    match.remaining -= 1;
    if (match.remaining <= 0) this.armed.splice(index, 1);
    return match.spec;
  }

  /** The faults still armed, with how many calls each has left. */
  list(): { fault: FaultSpec; remaining: number }[] {
    return this.armed.map((a) => ({ fault: a.spec, remaining: a.remaining }));
  }
}
