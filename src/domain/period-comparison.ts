import { PeriodConfigurationError, type PeriodConfigurationProblem } from '../errors';
import { comparePeriods, formatPeriod, isPeriod, samePeriod, type Period } from './period';

/**
 * A provider's "periods comparison": when a service of period `sourcePeriod` needs a license from `licensingServer`,
 * order (and renew) the license for `targetPeriod` instead. E.g. `1 → 12`: buy yearly licenses, sell monthly VPS.
 */
export interface PeriodRule {
  id: string;
  licensingServer: string;
  sourcePeriod: Period;
  targetPeriod: Period;
  /** Set → the rule applies only to services of this tariff plan (its `productType`, if also set, is informative). */
  tariffPlan: string | null;
  /** Set (and `tariffPlan` not) → the rule applies only to tariff plans of this product type, e.g. `vds`. */
  productType: string | null;
}

/** How narrowly a rule applies; a narrower scope beats a wider one for the same source period. */
export type RuleScope = 'tariffPlan' | 'productType' | 'unscoped';

/** Most specific first: the order in which scopes are searched for a rule. */
const SCOPES_BY_PRECEDENCE: readonly RuleScope[] = ['tariffPlan', 'productType', 'unscoped'];

export { PeriodConfigurationError, type PeriodConfigurationProblem };

/** Why the license gets the period it gets, as the `resolve` endpoint reports it. */
export interface PeriodResolution {
  targetPeriod: Period;
  /** The id of the rule that decided, or null when no rule applied. */
  rule: string | null;
  /** `rule`: a comparison rule; `same`: the service period itself is orderable; `minimum`: the shortest orderable. */
  reason: 'rule' | 'same' | 'minimum';
}

/** Everything `resolveLicensePeriod` needs; all of it already loaded, so the decision stays free of I/O. */
export interface PeriodResolutionInput {
  /** All known rules; those of other licensing servers or other scopes are ignored. */
  rules: readonly PeriodRule[];
  licensingServer: string;
  /** The service's tariff plan key; null matches no plan-scoped rule. */
  tariffPlan: string | null;
  /** The tariff plan's product type; null matches no product-type-scoped rule. */
  productType: string | null;
  /** The service's period `p`. */
  sourcePeriod: Period;
  /** What the price list can be ordered for (the enumeration value's `periods`, default `[1, 12, 'lifetime']`). */
  orderablePeriods: readonly Period[];
  /** The price-list id, only to name it in errors. */
  priceList?: string | null;
}

/**
 * A rule's scope: `tariffPlan` set → plan scope; else `productType` set → product-type scope; else unscoped.
 * An empty string counts as unset, so a blank form field cannot create a scope nothing can match.
 */
export function ruleScope(rule: Pick<PeriodRule, 'tariffPlan' | 'productType'>): RuleScope {
  if (rule.tariffPlan) return 'tariffPlan';
  if (rule.productType) return 'productType';
  return 'unscoped';
}

/** The value a rule is scoped to (plan key, product type, or null when unscoped): with the scope, its identity. */
function scopeKey(rule: Pick<PeriodRule, 'tariffPlan' | 'productType'>): string | null {
  const scope = ruleScope(rule);
  if (scope === 'tariffPlan') return rule.tariffPlan;
  if (scope === 'productType') return rule.productType;
  return null;
}

/** True when `period` is one the price list can be ordered for. */
export function isOrderable(period: Period, orderablePeriods: readonly Period[]): boolean {
  return orderablePeriods.some((orderable) => samePeriod(orderable, period));
}

/**
 * The shortest of `periods` (`'lifetime'` is longer than any number of months).
 * @throws RangeError when `periods` is empty.
 */
export function shortestPeriod(periods: readonly Period[]): Period {
  if (periods.length === 0) throw new RangeError('There is no period to choose from');
  return periods.reduce((shortest, period) => (comparePeriods(period, shortest) < 0 ? period : shortest));
}

/**
 * The existing rule with the same licensing server, scope and source as `candidate`, if any (used to answer 409).
 * "Same scope" means the same kind and the same plan or product type: `1 → 12` for plan A and for plan B coexist.
 */
export function findConflictingRule(
  rules: readonly PeriodRule[],
  candidate: Omit<PeriodRule, 'id'>,
): PeriodRule | undefined {
  const scope = ruleScope(candidate);
  const key = scopeKey(candidate);
  return rules.find(
    (rule) =>
      rule.licensingServer === candidate.licensingServer &&
      samePeriod(rule.sourcePeriod, candidate.sourcePeriod) &&
      ruleScope(rule) === scope &&
      scopeKey(rule) === key,
  );
}

/**
 * Which rules could apply to a tariff plan — used to check that a rule's target is orderable for every price list
 * it can meet. The source period is not considered: any service period may occur on any plan.
 */
export function ruleAppliesTo(
  rule: PeriodRule,
  plan: { key: string; productType: string; licensingServer: string },
): boolean {
  return ruleMatches(rule, plan.licensingServer, plan.key, plan.productType);
}

function ruleMatches(
  rule: PeriodRule,
  licensingServer: string,
  tariffPlan: string | null,
  productType: string | null,
): boolean {
  if (rule.licensingServer !== licensingServer) return false;
  switch (ruleScope(rule)) {
    case 'tariffPlan':
      return rule.tariffPlan === tariffPlan;
    case 'productType':
      return rule.productType === productType;
    case 'unscoped':
      return true;
  }
}

/**
 * Throws unless `rule`'s target can be ordered for the price list: the admin API answers 422 before saving such a
 * rule, and the resolver refuses to order a period the upstream would reject anyway.
 * @throws PeriodConfigurationError (`target_not_orderable`)
 */
export function assertRuleTargetOrderable(
  rule: PeriodRule,
  orderablePeriods: readonly Period[],
  priceList: string | null = null,
): void {
  if (isOrderable(rule.targetPeriod, orderablePeriods)) return;
  throw new PeriodConfigurationError(
    'target_not_orderable',
    `Period comparison ${rule.id} changes ${formatPeriod(rule.sourcePeriod)} into ${formatPeriod(rule.targetPeriod)}, ` +
      `which ${priceList === null ? 'the price list' : `price list ${priceList}`} cannot be ordered for`,
    { ruleId: rule.id, otherRuleId: null, priceList, orderablePeriods },
  );
}

/**
 * Chooses the period to order and renew a license for (SPEC "Period comparison"):
 * 1. among the rules of the licensing server with source `p`, the most specific wins: tariff plan, product type,
 *    unscoped;
 * 2. no rule: `p` itself if the price list can be ordered for it (`same`);
 * 3. otherwise the shortest orderable period (`minimum`).
 * The answer never depends on the order of `rules`.
 * @throws PeriodConfigurationError when the price list is orderable for nothing, when two rules share the deciding
 *   scope and source, or when the deciding rule's target is not orderable.
 * @throws RangeError when `sourcePeriod` is not a period.
 */
export function resolveLicensePeriod(input: PeriodResolutionInput): PeriodResolution {
  const { sourcePeriod, orderablePeriods } = input;
  const priceList = input.priceList ?? null;
  if (!isPeriod(sourcePeriod)) throw new RangeError(`Not a period: ${String(sourcePeriod)}`);
  if (orderablePeriods.length === 0) {
    throw new PeriodConfigurationError(
      'nothing_orderable',
      `${priceList === null ? 'The price list' : `Price list ${priceList}`} cannot be ordered for any period`,
      { ruleId: null, otherRuleId: null, priceList, orderablePeriods },
    );
  }

  const rule = decidingRule(input, priceList);
  if (rule) {
    assertRuleTargetOrderable(rule, orderablePeriods, priceList);
    return { targetPeriod: rule.targetPeriod, rule: rule.id, reason: 'rule' };
  }
  if (isOrderable(sourcePeriod, orderablePeriods)) return { targetPeriod: sourcePeriod, rule: null, reason: 'same' };
  return { targetPeriod: shortestPeriod(orderablePeriods), rule: null, reason: 'minimum' };
}

/** The single applicable rule of the most specific scope that has any, or undefined when none applies. */
function decidingRule(input: PeriodResolutionInput, priceList: string | null): PeriodRule | undefined {
  const applicable = input.rules.filter(
    (rule) =>
      samePeriod(rule.sourcePeriod, input.sourcePeriod) &&
      ruleMatches(rule, input.licensingServer, input.tariffPlan, input.productType),
  );
  for (const scope of SCOPES_BY_PRECEDENCE) {
    // Ids sorted so that which rule is reported (or, for a duplicate, which pair) does not depend on rule order.
    const [first, second] = applicable
      .filter((rule) => ruleScope(rule) === scope)
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    if (first && second) {
      // Picking either would make the license period depend on storage order; the store should have refused (409).
      throw new PeriodConfigurationError(
        'duplicate_rule',
        `Period comparisons ${first.id} and ${second.id} both change ${formatPeriod(input.sourcePeriod)} ` +
          `with the same scope`,
        { ruleId: first.id, otherRuleId: second.id, priceList, orderablePeriods: input.orderablePeriods },
      );
    }
    if (first) return first;
  }
  return undefined;
}
