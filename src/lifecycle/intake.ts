import crypto from 'node:crypto';
import type { HookEvent, ServiceFacts } from '../domain/lifecycle';
import { isUniqueViolation } from '../db/columns';
import type { OperationRecord } from '../db/operation-store';
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
 * are committed in one transaction before the answer. The same `eventId` again returns the same operation; with
 * another body it is a conflict. Rules are checked first, and a hook that breaks one records nothing: a `paidUntil`
 * beyond `lifecycle.maxPaidAheadMonths` (422 `invalid_service`), an unknown plan or value (422).
 */
export class HookIntake {
  constructor(
    private readonly deps: Pick<
      LifecycleDeps,
      'db' | 'services' | 'operations' | 'hookEvents' | 'tariffPlans' | 'enumerations' | 'periodComparisons' | 'now'
    > & { settings: Pick<LifecycleDeps['settings'], 'maxPaidAheadMonths'> },
  ) {}

  /** `json` is the body as received (before validation dropped anything), for the replay comparison. */
  async accept(event: HookEvent, body: HookBody, json: unknown = body): Promise<IntakeResult> {
    const bodySha256 = fingerprint(event, json);
    const known = await this.replayOf(body.eventId, bodySha256);
    if (known) return known;
    this.checkPaidUntil(body.service);
    await this.checkReferences(event, body.service);
    try {
      const operation = await this.deps.db.transaction(async (trx) => {
        const now = this.deps.now();
        const sequence = await this.deps.services.nextSequence(body.service.id, now, trx);
        const created = await this.deps.operations.create(
          { id: crypto.randomUUID(), event, serviceId: body.service.id, sequence, payload: body.service },
          now,
          trx,
        );
        await this.deps.hookEvents.insert(
          { eventId: body.eventId, event, bodySha256, operationId: created.id, receivedAt: now.toISOString() },
          trx,
        );
        return created;
      });
      return { operation, replay: false };
    } catch (error) {
      // Two deliveries of one hook raced: the one that committed first made the operation.
      const raced = isUniqueViolation(error) ? await this.replayOf(body.eventId, bodySha256) : null;
      if (raced) return raced;
      throw error;
    }
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
    const stored = await this.deps.services.get(facts.id);
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
