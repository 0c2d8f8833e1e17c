import type { Period } from '../domain/period';
import type { PoolEligibility } from '../domain/pool-eligibility';
import type { Money } from '../domain/prices';
import type { LicensePeriod, LicenseRecord, UpstreamFacts } from './license-rows';

// The inputs of the license moves (`license-moves.ts`), and what a sync changed.

/** Who moves a license, when, and for which operation: the move's audit row says so. */
export interface LicenseMoveContext {
  /** `worker`, `scheduler`, `reconciler`, or the name of an admin's token. */
  actor: string;
  at: Date;
  /** The operation the move belongs to, if any. */
  operationId?: string | null;
}

/**
 * What a paid move (an order, a renewal) or a pool reuse is recorded at in `license_costs`, priced by the caller with
 * the prices of that moment.
 */
export interface CostFacts {
  /** The price of the period moved (for a reuse: the order it avoided); null when no price is known. */
  price: Money | null;
  /** The service's tariff plan at that moment; null without a service (an order into the pool). */
  tariffPlan: string | null;
}

/** A move made by an operation (the license is held for it). */
export type OperationMoveContext = LicenseMoveContext & { operationId: string };

/** A license just ordered by an operation: it is reserved for that operation until bound. */
export interface OrderedLicense {
  id: string;
  licensingServer: string;
  upstreamId: string;
  priceList: string;
  period: LicensePeriod;
  ip: string;
  name: string;
  /** The service it was ordered for; null for an order into the pool. */
  serviceId: string | null;
  /** The reference the order carried upstream, by which a lost reply is found. */
  orderReference: string;
  /** What the order cost. */
  cost: CostFacts;
}

/** A live upstream license nobody here knew, as read upstream: it becomes a pooled license of ours. */
export interface AdoptedLicense extends Required<UpstreamFacts> {
  id: string;
  licensingServer: string;
  upstreamId: string;
  priceList: string;
  period: LicensePeriod | null;
}

/** What a pooled license must satisfy to be given to a service (SPEC "The pool"), and who takes it. */
export interface PoolClaim extends PoolEligibility {
  licensingServer: string;
  priceList: string;
  /** The IP the service needs: a license already on it needs no IP change. */
  ip: string;
  operationId: string;
  serviceId: string;
  /** What the claim avoids: an order of `priceList` for the period the service's need resolved to. */
  avoided: CostFacts & { period: LicensePeriod };
}

/** Why a license goes (back) to the pool. */
export interface PoolReturn {
  /**
   * `released` by its service, `given_back` after a refused reuse step, its operation `failed`, or `ordered` into
   * the pool by a person.
   */
  reason: 'released' | 'given_back' | 'operation_failed' | 'ordered';
  /** The upstream refused this cooldown just now: recorded so that the license is not claimed for it again soon. */
  refused?: 'ip' | 'lickey' | null;
}

/** One renewal paid upstream. */
export interface Renewal {
  period: Period;
  paidUntilBefore: Date;
  /** The new paid-until as far as known when the renewal settles (the read-back that follows records the exact). */
  paidUntil: Date | null;
  /** What it cost. */
  cost: CostFacts;
}

/** The fields an upstream read changes, as `{field: {from, to}}` (an activation key only as `changed`). */
export function changedFacts(before: LicenseRecord, facts: UpstreamFacts): Record<string, unknown> {
  const changes: Record<string, unknown> = {};
  const time = (d: Date | null | undefined) => d?.toISOString() ?? null;
  if (facts.status !== undefined && facts.status !== before.status)
    changes.status = { from: before.status, to: facts.status };
  if (facts.paidUntil !== undefined && time(facts.paidUntil) !== time(before.paidUntil))
    changes.paidUntil = { from: time(before.paidUntil), to: time(facts.paidUntil) };
  if (facts.ip !== undefined && facts.ip !== before.ip) changes.ip = { from: before.ip, to: facts.ip };
  if (facts.name !== undefined && facts.name !== before.name) changes.name = { from: before.name, to: facts.name };
  if (facts.activationKey !== undefined && facts.activationKey !== before.activationKey)
    changes.activationKey = 'changed';
  return changes;
}
