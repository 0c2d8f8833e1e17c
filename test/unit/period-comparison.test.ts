import assert from 'node:assert/strict';
import fc from 'fast-check';
import { comparePeriods, type Period } from '../../src/domain/period';
import {
  findConflictingRule,
  isOrderable,
  PeriodConfigurationError,
  resolveLicensePeriod,
  ruleAppliesTo,
  ruleScope,
  shortestPeriod,
  type PeriodResolution,
  type PeriodResolutionInput,
  type PeriodRule,
} from '../../src/domain/period-comparison';

// Every assert.ok carries a message: without one, Node 20 reads the source to build it, which hangs under tsx.
const SERVER = 'ispsystem';
const OTHER_SERVER = 'reseller';
const PLAN = 'vps-monthly';
const TYPE = 'vds';
const ISP_PERIODS: readonly Period[] = [1, 12, 'lifetime'];

function rule(id: string, source: Period, target: Period, scope: Partial<PeriodRule> = {}): PeriodRule {
  return {
    id,
    licensingServer: SERVER,
    sourcePeriod: source,
    targetPeriod: target,
    tariffPlan: null,
    productType: null,
    ...scope,
  };
}

function input(overrides: Partial<PeriodResolutionInput>): PeriodResolutionInput {
  return {
    rules: [],
    licensingServer: SERVER,
    tariffPlan: PLAN,
    productType: TYPE,
    sourcePeriod: 1,
    orderablePeriods: ISP_PERIODS,
    priceList: '3541',
    ...overrides,
  };
}

const onPlan = { tariffPlan: PLAN, productType: TYPE };
const onType = { productType: TYPE };

describe('period comparison', () => {
  describe('resolveLicensePeriod', () => {
    const cases: { name: string; given: Partial<PeriodResolutionInput>; expected: PeriodResolution }[] = [
      {
        name: "the seed's example: yearly licenses for monthly VPS (1 → 12)",
        given: { rules: [rule('r1', 1, 12)] },
        expected: { targetPeriod: 12, rule: 'r1', reason: 'rule' },
      },
      {
        name: 'a tariff-plan rule',
        given: { rules: [rule('plan', 1, 12, onPlan)] },
        expected: { targetPeriod: 12, rule: 'plan', reason: 'rule' },
      },
      {
        name: 'a tariff-plan rule whose product type is not set',
        given: { rules: [rule('plan', 1, 12, { tariffPlan: PLAN })] },
        expected: { targetPeriod: 12, rule: 'plan', reason: 'rule' },
      },
      {
        name: 'a product-type rule',
        given: { rules: [rule('type', 1, 'lifetime', onType)] },
        expected: { targetPeriod: 'lifetime', rule: 'type', reason: 'rule' },
      },
      {
        name: 'all three scopes at once: the tariff plan wins',
        given: { rules: [rule('any', 1, 'lifetime'), rule('type', 1, 1, onType), rule('plan', 1, 12, onPlan)] },
        expected: { targetPeriod: 12, rule: 'plan', reason: 'rule' },
      },
      {
        name: 'product type and unscoped: the product type wins',
        given: { rules: [rule('any', 1, 'lifetime'), rule('type', 1, 12, onType)] },
        expected: { targetPeriod: 12, rule: 'type', reason: 'rule' },
      },
      {
        name: "another licensing server's rule is ignored",
        given: { rules: [rule('other', 1, 12, { licensingServer: OTHER_SERVER })] },
        expected: { targetPeriod: 1, rule: null, reason: 'same' },
      },
      {
        name: "another plan's rule is ignored; the unscoped one applies",
        given: {
          rules: [
            rule('other-plan', 1, 'lifetime', { tariffPlan: 'vps-yearly', productType: TYPE }),
            rule('any', 1, 12),
          ],
        },
        expected: { targetPeriod: 12, rule: 'any', reason: 'rule' },
      },
      {
        name: "another product type's rule is ignored",
        given: { rules: [rule('dedic', 1, 12, { productType: 'dedic' })] },
        expected: { targetPeriod: 1, rule: null, reason: 'same' },
      },
      {
        name: 'a plan without a product type meets no product-type rule',
        given: { productType: null, rules: [rule('type', 1, 12, onType)] },
        expected: { targetPeriod: 1, rule: null, reason: 'same' },
      },
      {
        name: 'no tariff plan given: plan rules are ignored, unscoped ones apply',
        given: { tariffPlan: null, rules: [rule('plan', 1, 'lifetime', onPlan), rule('any', 1, 12)] },
        expected: { targetPeriod: 12, rule: 'any', reason: 'rule' },
      },
      {
        name: 'a rule for another source period is ignored',
        given: { sourcePeriod: 12, rules: [rule('r1', 1, 12, onPlan)] },
        expected: { targetPeriod: 12, rule: null, reason: 'same' },
      },
      {
        name: 'a rule may keep the period as it is',
        given: { rules: [rule('keep', 1, 1, onPlan), rule('any', 1, 12)] },
        expected: { targetPeriod: 1, rule: 'keep', reason: 'rule' },
      },
      {
        name: 'an empty plan or product type counts as unscoped',
        given: { rules: [rule('blank', 1, 12, { tariffPlan: '', productType: '' })] },
        expected: { targetPeriod: 12, rule: 'blank', reason: 'rule' },
      },
      {
        name: 'no rule, orderable period: 12 months',
        given: { sourcePeriod: 12 },
        expected: { targetPeriod: 12, rule: null, reason: 'same' },
      },
      {
        name: 'no rule, orderable period: lifetime',
        given: { sourcePeriod: 'lifetime' },
        expected: { targetPeriod: 'lifetime', rule: null, reason: 'same' },
      },
      {
        name: 'no rule, 3 months is not orderable: the minimum, 1 month',
        given: { sourcePeriod: 3 },
        expected: { targetPeriod: 1, rule: null, reason: 'minimum' },
      },
      {
        name: 'no rule, 24 months is not orderable: the minimum, 1 month',
        given: { sourcePeriod: 24, rules: [rule('r1', 1, 12)] },
        expected: { targetPeriod: 1, rule: null, reason: 'minimum' },
      },
      {
        name: 'a lifetime source',
        given: { sourcePeriod: 'lifetime', rules: [rule('life', 'lifetime', 12, onType)] },
        expected: { targetPeriod: 12, rule: 'life', reason: 'rule' },
      },
      {
        name: 'a lifetime target',
        given: { sourcePeriod: 36, rules: [rule('forever', 36, 'lifetime')] },
        expected: { targetPeriod: 'lifetime', rule: 'forever', reason: 'rule' },
      },
      {
        name: 'orderable only for [12]: a monthly service gets 12 months',
        given: { orderablePeriods: [12] },
        expected: { targetPeriod: 12, rule: null, reason: 'minimum' },
      },
      {
        name: "orderable only for ['lifetime']: lifetime is the minimum",
        given: { sourcePeriod: 12, orderablePeriods: ['lifetime'] },
        expected: { targetPeriod: 'lifetime', rule: null, reason: 'minimum' },
      },
      {
        name: 'orderable for [3, 6]: 6 stays 6',
        given: { sourcePeriod: 6, orderablePeriods: [3, 6] },
        expected: { targetPeriod: 6, rule: null, reason: 'same' },
      },
      {
        name: 'orderable for [6, 3] (any order): 12 gets the minimum, 3',
        given: { sourcePeriod: 12, orderablePeriods: [6, 3] },
        expected: { targetPeriod: 3, rule: null, reason: 'minimum' },
      },
      {
        name: 'orderable for [3, 6] with a rule 1 → 6',
        given: { orderablePeriods: [3, 6], rules: [rule('r6', 1, 6)] },
        expected: { targetPeriod: 6, rule: 'r6', reason: 'rule' },
      },
      {
        name: 'a shadowed rule with an unorderable target does not matter',
        given: { orderablePeriods: [1, 'lifetime'], rules: [rule('any', 1, 12), rule('plan', 1, 'lifetime', onPlan)] },
        expected: { targetPeriod: 'lifetime', rule: 'plan', reason: 'rule' },
      },
      {
        name: 'duplicates in a shadowed scope do not matter',
        given: { rules: [rule('a', 1, 12), rule('b', 1, 'lifetime'), rule('plan', 1, 1, onPlan)] },
        expected: { targetPeriod: 1, rule: 'plan', reason: 'rule' },
      },
    ];
    for (const { name, given, expected } of cases) {
      it(name, () => assert.deepEqual(resolveLicensePeriod(input(given)), expected));
    }

    const failures: {
      name: string;
      given: Partial<PeriodResolutionInput>;
      expected: Pick<PeriodConfigurationError, 'problem' | 'ruleId' | 'priceList'> & { otherRuleId?: string };
    }[] = [
      {
        name: "the deciding rule's target is not orderable",
        given: { orderablePeriods: [1, 'lifetime'], rules: [rule('r1', 1, 12)] },
        expected: { problem: 'target_not_orderable', ruleId: 'r1', priceList: '3541' },
      },
      {
        name: 'a plan rule whose target is not orderable is not skipped for a wider one',
        given: { orderablePeriods: [3, 6], rules: [rule('ok', 1, 6), rule('bad', 1, 12, onPlan)] },
        expected: { problem: 'target_not_orderable', ruleId: 'bad', priceList: '3541' },
      },
      {
        name: 'the price list can be ordered for nothing',
        given: { orderablePeriods: [], priceList: '4601' },
        expected: { problem: 'nothing_orderable', ruleId: null, priceList: '4601' },
      },
      {
        name: 'two plan rules with the same source',
        given: { rules: [rule('r2', 1, 12, onPlan), rule('r1', 1, 'lifetime', { tariffPlan: PLAN })] },
        expected: { problem: 'duplicate_rule', ruleId: 'r1', otherRuleId: 'r2', priceList: '3541' },
      },
      {
        name: 'two unscoped rules with the same source',
        given: { priceList: null, rules: [rule('u1', 1, 12), rule('u2', 1, 12)] },
        expected: { problem: 'duplicate_rule', ruleId: 'u1', otherRuleId: 'u2', priceList: null },
      },
    ];
    for (const { name, given, expected } of failures) {
      it(`fails: ${name}`, () => {
        assert.throws(
          () => resolveLicensePeriod(input(given)),
          (error: unknown) => {
            assert.ok(error instanceof PeriodConfigurationError, `unexpected error ${String(error)}`);
            assert.equal(error.name, 'PeriodConfigurationError');
            assert.equal(error.problem, expected.problem);
            assert.equal(error.ruleId, expected.ruleId);
            assert.equal(error.priceList, expected.priceList);
            if (expected.otherRuleId) assert.equal(error.details.otherRuleId, expected.otherRuleId);
            return true;
          },
        );
      });
    }

    it('refuses a source that is not a period', () => {
      assert.throws(() => resolveLicensePeriod(input({ sourcePeriod: 1.5 })), RangeError);
      assert.throws(() => resolveLicensePeriod(input({ sourcePeriod: 0 })), RangeError);
    });
  });

  describe('ruleScope', () => {
    it('prefers the tariff plan, then the product type', () => {
      assert.equal(ruleScope({ tariffPlan: PLAN, productType: TYPE }), 'tariffPlan');
      assert.equal(ruleScope({ tariffPlan: PLAN, productType: null }), 'tariffPlan');
      assert.equal(ruleScope({ tariffPlan: null, productType: TYPE }), 'productType');
      assert.equal(ruleScope({ tariffPlan: null, productType: null }), 'unscoped');
    });
  });

  describe('findConflictingRule', () => {
    const existing = [
      rule('any', 1, 12),
      rule('type', 1, 12, onType),
      rule('plan', 1, 12, onPlan),
      rule('other', 1, 12, { licensingServer: OTHER_SERVER }),
    ];
    const candidate = (source: Period, scope: Partial<PeriodRule> = {}): Omit<PeriodRule, 'id'> => {
      const { id: _id, ...rest } = rule('new', source, 'lifetime', scope);
      return rest;
    };
    const cases: { name: string; candidate: Omit<PeriodRule, 'id'>; conflictsWith: string | undefined }[] = [
      { name: 'unscoped, same source', candidate: candidate(1), conflictsWith: 'any' },
      { name: 'same product type, same source', candidate: candidate(1, onType), conflictsWith: 'type' },
      { name: 'same plan, same source', candidate: candidate(1, onPlan), conflictsWith: 'plan' },
      {
        name: 'same plan with another informative product type',
        candidate: candidate(1, { tariffPlan: PLAN, productType: 'dedic' }),
        conflictsWith: 'plan',
      },
      { name: 'another source', candidate: candidate(12), conflictsWith: undefined },
      { name: 'another plan', candidate: candidate(1, { tariffPlan: 'vps-yearly' }), conflictsWith: undefined },
      { name: 'another product type', candidate: candidate(1, { productType: 'dedic' }), conflictsWith: undefined },
      {
        name: 'another licensing server',
        candidate: candidate(1, { licensingServer: 'third' }),
        conflictsWith: undefined,
      },
      {
        name: 'same server as the other rule',
        candidate: candidate(1, { licensingServer: OTHER_SERVER }),
        conflictsWith: 'other',
      },
    ];
    for (const { name, candidate: given, conflictsWith } of cases) {
      it(name, () => assert.equal(findConflictingRule(existing, given)?.id, conflictsWith));
    }
  });

  describe('ruleAppliesTo', () => {
    const plan = { key: PLAN, productType: TYPE, licensingServer: SERVER };
    const cases: [string, PeriodRule, boolean][] = [
      ['an unscoped rule of the same server', rule('a', 1, 12), true],
      ['a rule of another server', rule('b', 1, 12, { licensingServer: OTHER_SERVER }), false],
      ["a rule of the plan's product type", rule('c', 1, 12, onType), true],
      ['a rule of another product type', rule('d', 1, 12, { productType: 'dedic' }), false],
      ['a rule of the plan', rule('e', 1, 12, onPlan), true],
      [
        'a rule of the plan naming another product type',
        rule('f', 1, 12, { tariffPlan: PLAN, productType: 'x' }),
        true,
      ],
      ['a rule of another plan', rule('g', 1, 12, { tariffPlan: 'vps-yearly', productType: TYPE }), false],
    ];
    for (const [name, given, expected] of cases) {
      it(name, () => assert.equal(ruleAppliesTo(given, plan), expected));
    }
  });

  describe('shortestPeriod', () => {
    it('orders months numerically and lifetime last', () => {
      assert.equal(shortestPeriod([12, 1, 'lifetime']), 1);
      assert.equal(shortestPeriod(['lifetime', 24, 6]), 6);
      assert.equal(shortestPeriod(['lifetime']), 'lifetime');
      assert.equal(shortestPeriod([36, 12]), 12);
    });
    it('refuses an empty list', () => assert.throws(() => shortestPeriod([]), RangeError));
  });

  describe('properties', () => {
    const servers = [SERVER, OTHER_SERVER];
    const plans = ['p1', 'p2'];
    const types = ['vds', 'dedic'];
    const periodArb: fc.Arbitrary<Period> = fc.oneof(
      fc.constantFrom<Period>(1, 3, 6, 12, 24, 'lifetime'),
      fc.integer({ min: 1, max: 60 }),
    );
    const smallPeriodArb = fc.constantFrom<Period>(1, 3, 12, 'lifetime');
    const ruleArb = (source: fc.Arbitrary<Period>): fc.Arbitrary<Omit<PeriodRule, 'id'>> =>
      fc.record({
        licensingServer: fc.constantFrom(...servers),
        sourcePeriod: source,
        targetPeriod: smallPeriodArb,
        tariffPlan: fc.option(fc.constantFrom(...plans)),
        productType: fc.option(fc.constantFrom(...types)),
      });
    const withIds = (rules: Omit<PeriodRule, 'id'>[]): PeriodRule[] => rules.map((r, i) => ({ id: `r${i}`, ...r }));
    /** Rules as a valid configuration holds them: no two with the same server, scope and source. */
    const validRulesArb = fc
      .uniqueArray(ruleArb(smallPeriodArb), {
        maxLength: 12,
        selector: (r) => `${r.licensingServer}|${ruleScope(r)}|${r.tariffPlan ?? r.productType}|${r.sourcePeriod}`,
      })
      .map(withIds);
    const anyRulesArb = fc.array(ruleArb(smallPeriodArb), { maxLength: 12 }).map(withIds);
    const orderableArb = fc.uniqueArray(fc.oneof(smallPeriodArb, periodArb), { minLength: 1, maxLength: 4 });
    const contextArb = fc.record({
      licensingServer: fc.constantFrom(...servers),
      tariffPlan: fc.constantFrom(...plans),
      productType: fc.constantFrom(...types),
      sourcePeriod: fc.oneof(smallPeriodArb, periodArb),
      orderablePeriods: orderableArb,
    });
    const applies = (r: PeriodRule, c: Omit<PeriodResolutionInput, 'rules'>): boolean =>
      r.sourcePeriod === c.sourcePeriod &&
      ruleAppliesTo(r, { key: c.tariffPlan!, productType: c.productType!, licensingServer: c.licensingServer });
    /** The result or the error, in a form that can be compared. */
    const outcome = (given: PeriodResolutionInput): unknown => {
      try {
        return resolveLicensePeriod(given);
      } catch (error) {
        if (!(error instanceof PeriodConfigurationError)) throw error;
        return { problem: error.problem, ...error.details };
      }
    };

    it('answers an orderable period, or names the rule whose target is not orderable', () => {
      fc.assert(
        fc.property(validRulesArb, contextArb, (rules, context) => {
          try {
            const result = resolveLicensePeriod({ rules, ...context });
            assert.ok(isOrderable(result.targetPeriod, context.orderablePeriods), 'the answer is not orderable');
          } catch (error) {
            assert.ok(error instanceof PeriodConfigurationError, `unexpected error ${String(error)}`);
            assert.equal(error.problem, 'target_not_orderable');
            const culprit = rules.find((r) => r.id === error.ruleId)!;
            assert.ok(applies(culprit, context), 'the rule named does not apply');
            assert.ok(!isOrderable(culprit.targetPeriod, context.orderablePeriods), 'the target named is orderable');
          }
        }),
      );
    });

    it('a tariff-plan rule beats product-type and unscoped rules for the same source', () => {
      fc.assert(
        fc.property(validRulesArb, contextArb, fc.nat(), (others, context, pick) => {
          const target = context.orderablePeriods[pick % context.orderablePeriods.length]!;
          const scoped = (id: string, tariffPlan: string | null, productType: string | null): PeriodRule => ({
            id,
            licensingServer: context.licensingServer,
            sourcePeriod: context.sourcePeriod,
            targetPeriod: target,
            tariffPlan,
            productType,
          });
          const added = [
            scoped('plan', context.tariffPlan, null),
            scoped('type', null, context.productType),
            scoped('any', null, null),
          ];
          const rules = [...others.filter((r) => !findConflictingRule(added, r)), ...added];
          assert.deepEqual(resolveLicensePeriod({ rules, ...context }), {
            targetPeriod: target,
            rule: 'plan',
            reason: 'rule',
          });
        }),
      );
    });

    it('a product-type rule beats an unscoped rule for the same source', () => {
      fc.assert(
        fc.property(validRulesArb, contextArb, fc.nat(), (others, context, pick) => {
          const target = context.orderablePeriods[pick % context.orderablePeriods.length]!;
          const base = { licensingServer: context.licensingServer, sourcePeriod: context.sourcePeriod };
          const typeRule: PeriodRule = {
            ...base,
            id: 'type',
            targetPeriod: target,
            tariffPlan: null,
            productType: context.productType,
          };
          const anyRule: PeriodRule = { ...base, id: 'any', targetPeriod: 1, tariffPlan: null, productType: null };
          const rules = [
            ...others.filter(
              (r) =>
                !findConflictingRule([r], typeRule) &&
                !findConflictingRule([r], anyRule) &&
                !(applies(r, context) && ruleScope(r) === 'tariffPlan'),
            ),
            anyRule,
            typeRule,
          ];
          assert.equal(resolveLicensePeriod({ rules, ...context }).rule, 'type');
        }),
      );
    });

    it('with no applicable rule, answers p if orderable, else the shortest orderable period', () => {
      fc.assert(
        fc.property(validRulesArb, contextArb, (all, context) => {
          const rules = all.filter((r) => !applies(r, context));
          const result = resolveLicensePeriod({ rules, ...context });
          assert.equal(result.rule, null);
          if (isOrderable(context.sourcePeriod, context.orderablePeriods)) {
            assert.deepEqual(result, { targetPeriod: context.sourcePeriod, rule: null, reason: 'same' });
          } else {
            assert.equal(result.reason, 'minimum');
            assert.ok(isOrderable(result.targetPeriod, context.orderablePeriods), 'the minimum is not orderable');
            for (const other of context.orderablePeriods)
              assert.ok(comparePeriods(result.targetPeriod, other) <= 0, `${String(other)} is shorter`);
          }
        }),
      );
    });

    it("ignores other licensing servers' rules", () => {
      fc.assert(
        fc.property(validRulesArb, anyRulesArb, contextArb, (own, foreign, context) => {
          const mine = own.filter((r) => r.licensingServer === context.licensingServer);
          const theirs = foreign
            .filter((r) => r.licensingServer !== context.licensingServer)
            .map((r) => ({ ...r, id: `x${r.id}` }));
          assert.deepEqual(outcome({ rules: [...mine, ...theirs], ...context }), outcome({ rules: mine, ...context }));
        }),
      );
    });

    it('never depends on rule order, even with duplicate rules', () => {
      const shuffledArb = anyRulesArb.chain((rules) =>
        fc.tuple(fc.constant(rules), fc.shuffledSubarray(rules, { minLength: rules.length, maxLength: rules.length })),
      );
      fc.assert(
        fc.property(shuffledArb, contextArb, ([rules, shuffled], context) => {
          assert.deepEqual(outcome({ rules: shuffled, ...context }), outcome({ rules, ...context }));
        }),
      );
    });
  });
});
