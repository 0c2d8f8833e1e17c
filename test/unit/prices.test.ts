import assert from 'node:assert/strict';
import { idleValueOf, priceOf, remainingDays, type Prices } from '../../src/domain/prices';
import { buildSavingsReport, reportCurrency, type CostGroup } from '../../src/domain/savings-report';

const PRICES: Prices = { currency: 'EUR', '3541': { '1': 10, '12': 100, lifetime: 500, trial: 0 } };
const DAY = 86_400_000;

describe('prices: the price of a price list and period', () => {
  it('reads the amount of exactly that period, in the prices’ currency', () => {
    assert.deepEqual(priceOf(PRICES, '3541', 12), { amount: 100, currency: 'EUR' });
    assert.deepEqual(priceOf(PRICES, '3541', 'lifetime'), { amount: 500, currency: 'EUR' });
    assert.deepEqual(priceOf(PRICES, '3541', 'trial'), { amount: 0, currency: 'EUR' }, 'a free trial is priced 0');
  });

  it('is null without prices, for an unknown price list or an unpriced period', () => {
    assert.equal(priceOf(null, '3541', 12), null);
    assert.equal(priceOf(PRICES, '4601', 12), null);
    assert.equal(priceOf(PRICES, '3541', 3), null, 'no price is derived from another period');
    assert.equal(priceOf(PRICES, 'currency', 1), null);
  });

  it('rounds to cents', () => {
    assert.deepEqual(priceOf({ currency: 'USD', '1': { '1': 9.999 } }, '1', 1), { amount: 10, currency: 'USD' });
  });

  it('prorates the paid days left on the period’s price', () => {
    assert.deepEqual(idleValueOf(PRICES, '3541', 12, 365.25 / 2), { amount: 50, currency: 'EUR' });
    assert.deepEqual(idleValueOf(PRICES, '3541', 1, 365.25 / 12), { amount: 10, currency: 'EUR' });
    assert.deepEqual(idleValueOf(PRICES, '3541', 12, 0), { amount: 0, currency: 'EUR' });
    assert.equal(idleValueOf(PRICES, '3541', 'lifetime', 100), null, 'no paid time to prorate');
    assert.equal(idleValueOf(PRICES, '3541', 3, 30), null, 'unpriced period');
  });

  it('counts remaining days, never below 0', () => {
    const now = new Date('2026-12-01T00:00:00Z');
    assert.equal(remainingDays(new Date(now.getTime() + 1.5 * DAY), now), 1.5);
    assert.equal(remainingDays(new Date(now.getTime() - DAY), now), 0);
  });
});

describe('savings report: sums in one currency, null when nothing is priced', () => {
  const range = { from: new Date('2026-12-01T00:00:00Z'), to: new Date('2026-12-31T23:59:59.999Z') };
  const now = new Date('2026-12-15T00:00:00Z');
  const group = (over: Partial<CostGroup>): CostGroup => ({
    kind: 'order',
    licensingServer: 'isp',
    priceList: '3541',
    tariffPlan: 'vps-monthly',
    currency: 'EUR',
    events: 1,
    priced: 1,
    total: 100,
    ...over,
  });
  const build = (groups: CostGroup[], currency?: string) =>
    buildSavingsReport({
      range,
      now,
      groups,
      servicesPerTariffPlan: [{ tariffPlan: 'vps-monthly', services: 2 }],
      idle: [],
      pricesByServer: new Map([['isp', PRICES]]),
      currency,
    });

  it('counts every event, sums the priced ones, and counts the rest as unpriced', () => {
    const report = build([
      group({ events: 2, priced: 2, total: 200 }),
      group({ currency: null, priced: 0, total: null }),
      group({ kind: 'reuse', total: 100 }),
      group({ kind: 'renewal', tariffPlan: null, total: 10 }),
    ]);
    assert.deepEqual(report.orders, { count: 3, cost: 200 });
    assert.deepEqual(report.reuses, { count: 1, costAvoided: 100 });
    assert.deepEqual(report.renewals, { count: 1, cost: 10 });
    assert.equal(report.unpriced, 1);
    assert.deepEqual(report.byPriceList, [
      { licensingServer: 'isp', priceList: '3541', orders: 3, reuses: 1, renewals: 1, cost: 210, costAvoided: 100 },
    ]);
    assert.deepEqual(report.byTariffPlan, [{ tariffPlan: 'vps-monthly', services: 2, cost: 200 }]);
  });

  it('gives null totals, never 0, when no event is priced', () => {
    const report = build([group({ currency: null, priced: 0, total: null })]);
    assert.deepEqual(report.orders, { count: 1, cost: null });
    assert.deepEqual(report.reuses, { count: 0, costAvoided: null });
    assert.deepEqual(report.idle, { licenses: 0, paidDays: 0, value: null });
    assert.equal(report.unpriced, 1);
  });

  it('sums one currency: events priced in another count as unpriced', () => {
    const groups = [group({ total: 100 }), group({ currency: 'USD', total: 50 }), group({ total: 20 })];
    const report = build(groups);
    assert.equal(report.currency, 'EUR', 'the currency of most priced events');
    assert.deepEqual(report.orders, { count: 3, cost: 120 });
    assert.equal(report.unpriced, 1);
    const inUsd = build(groups, 'USD');
    assert.deepEqual(inUsd.orders, { count: 3, cost: 50 });
    assert.equal(inUsd.unpriced, 2);
  });

  it('takes the currency of the current prices when nothing of the range is priced', () => {
    assert.equal(reportCurrency({ groups: [], pricesByServer: new Map([['isp', PRICES]]) }), 'EUR');
    assert.equal(reportCurrency({ groups: [], pricesByServer: new Map([['isp', null]]) }), null);
  });

  it('values idle licenses on their period’s current price', () => {
    const report = buildSavingsReport({
      range,
      now,
      groups: [],
      servicesPerTariffPlan: [],
      idle: [
        { licensingServer: 'isp', priceList: '3541', period: 12, paidUntil: new Date(now.getTime() + 182.625 * DAY) },
        { licensingServer: 'isp', priceList: '4601', period: 12, paidUntil: new Date(now.getTime() + 10 * DAY) },
      ],
      pricesByServer: new Map([['isp', PRICES]]),
    });
    assert.deepEqual(report.idle, { licenses: 2, paidDays: 192.6, value: 50 });
  });
});
