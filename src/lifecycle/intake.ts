import crypto from 'node:crypto';
import type { HookEvent, ServiceFacts } from '../domain/lifecycle';
import { isUniqueViolation } from '../db/columns';
import type { OperationRecord } from '../db/operation-store';
import { IntakeGroupCommit } from './intake-group-commit';
import { latestPaidUntil } from '../domain/money-guards';
import { ConflictError, InvalidInputError, RuleViolationError } from '../errors';
import type { HookBody } from '../platform/hook-schemas';
import { resolveLicenseNeed } from './license-need';
import type { LifecycleDeps } from './lifecycle-deps';

export interface IntakeResult {
  operation: OperationRecord;
  /** True when this `eventId` was seen before: nothing new was done. */
  replay: boolean;
}

/**
 * Accepts a hook durably: the hook event (unique `eventId`) and its operation (next sequence number of the service)
 * are committed in one transaction before the answer, shared with the hooks that arrive together
 * ({@link IntakeGroupCommit}). The same `eventId` again returns the same operation; with another body it is a
 * conflict. Rules are checked first, and a hook that breaks one records nothing: a `paidUntil` beyond
 * `lifecycle.maxPaidAheadMonths` (422 `invalid_service`), an unknown plan or value (422).
 *
 * A new hook costs no read: a replay is found by its insert, which skips a known `eventId`, and only then read.
 */
export class HookIntake {
  private readonly door: IntakeGroupCommit;

  constructor(
    private readonly deps: Pick<
      LifecycleDeps,
      'db' | 'services' | 'operations' | 'hookEvents' | 'tariffPlans' | 'enumerations' | 'periodComparisons' | 'now'
    > & { settings: Pick<LifecycleDeps['settings'], 'maxPaidAheadMonths'> },
  ) {
    this.door = new IntakeGroupCommit(deps);
  }

  /** `json` is the body as received (before validation dropped anything), for the replay comparison. */
  async accept(event: HookEvent, body: HookBody, json: unknown = body): Promise<IntakeResult> {
    const bodySha256 = fingerprint(event, json);
    try {
      this.checkPaidUntil(body.service);
      await this.checkReferences(event, body.service);
    } catch (error) {
      // A replay is answered as one (or as a conflict) whatever the rules say now, as it was when it came first.
      const known = await this.replayOf(body.eventId, bodySha256);
      if (known) return known;
      throw error;
    }
    try {
      const hook = {
        eventId: body.eventId,
        event,
        bodySha256,
        operationId: crypto.randomUUID(),
        service: body.service,
      };
      const written = await this.door.write(hook);
      if ('operation' in written) return { operation: written.operation, replay: false };
    } catch (error) {
      // Two deliveries of one hook raced: the one that committed first made the operation.
      const raced = isUniqueViolation(error) ? await this.replayOf(body.eventId, bodySha256) : null;
      if (raced) return raced;
      throw error;
    }
    const known = await this.replayOf(body.eventId, bodySha256);
    if (known) return known;
    // Skipped as known, then gone: pruned in between (retention). Nothing was written: the platform may send it again.
    throw new ConflictError(`event ${body.eventId} was received before and is no longer known`, {
      eventId: body.eventId,
    });
  }

  private async replayOf(eventId: string, bodySha256: string): Promise<IntakeResult | null> {
    const known = await this.deps.hookEvents.get(eventId);
    if (!known) return null;
    if (known.bodySha256 !== bodySha256) {
      throw new ConflictError(`event ${eventId} was already received with another body`, { eventId }, 'event_conflict');
    }
    return { operation: (await this.deps.operations.get(known.operationId))!, replay: true };
  }

  /**
   * A `paidUntil` (on any event that carries one) far ahead would have a worker pay for renewal after renewal: more
   * than `lifecycle.maxPaidAheadMonths` calendar months past now is refused at the door.
   */
  private checkPaidUntil(facts: ServiceFacts): void {
    if (facts.paidUntil === undefined || facts.paidUntil === null) return;
    const latest = latestPaidUntil(this.deps.now(), this.deps.settings.maxPaidAheadMonths);
    if (new Date(facts.paidUntil) <= latest) return;
    throw new RuleViolationError(
      `service.paidUntil lies more than ${this.deps.settings.maxPaidAheadMonths} months ahead ` +
        '(lifecycle.maxPaidAheadMonths)',
      { field: 'service.paidUntil', latest: latest.toISOString() },
      'invalid_service',
    );
  }

  /** An unknown tariff plan or control-panel value is refused at the door, not discovered by a worker. */
  private async checkReferences(event: HookEvent, facts: ServiceFacts): Promise<void> {
    if (event !== 'open' && event !== 'setparam') return;
    if (event === 'setparam' && !facts.tariffPlan && !facts.controlPanel) return;
    // What the hook leaves out is taken from what is stored; an `open` says all of it.
    const complete = facts.tariffPlan && facts.period !== undefined && facts.period !== null;
    const stored = complete ? null : await this.deps.services.get(facts.id);
    const tariffPlan = facts.tariffPlan ?? stored?.tariffPlan ?? (await this.latestTariffPlan(facts.id));
    if (!tariffPlan) return; // a setparam before any open: checked when the operation runs
    await resolveLicenseNeed(this.deps, {
      tariffPlan,
      controlPanel: facts.controlPanel ?? (facts.tariffPlan ? null : (stored?.controlPanel ?? null)),
      period: facts.period ?? stored?.period ?? null,
    });
  }

  private async latestTariffPlan(serviceId: string): Promise<string | null> {
    const ops = await this.deps.operations.list({ serviceId }, 50);
    return ops.find((op) => op.payload.tariffPlan)?.payload.tariffPlan ?? null;
  }
}

/** The same hook is the same event name and the same JSON, whatever the key order. */
function fingerprint(event: string, body: unknown): string {
  return crypto
    .createHash('sha256')
    .update(`${event}\n${canonicalJson(body)}`)
    .digest('hex');
}

/** Deeper than this, a hook body is refused (400) rather than walked: no platform sends such JSON. */
const MAX_JSON_DEPTH = 64;

function canonicalJson(value: unknown, depth = 0): string {
  if (depth > MAX_JSON_DEPTH)
    throw new InvalidInputError('the request body is nested too deeply', { maxDepth: MAX_JSON_DEPTH });
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item, depth + 1)).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v, depth + 1)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
