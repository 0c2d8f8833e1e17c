import assert from 'node:assert/strict';
import type { Prices } from '../../src/domain/prices';
import { openFacts, paidUntilIn, startHarness, testCatalog, type Harness } from '../helpers/lifecycle';
import { TEST_PLATFORM_TOKEN, TEST_VIEWER_TOKEN } from '../helpers/service';

const LITE = '3541';
const PRICES: Prices = { currency: 'EUR', [LITE]: { '1': 10, '12': 100, lifetime: 500 } };

/**
 * CONTRACT.md "Alerts, metrics, reports": prices on licensing servers, each order, renewal and pool reuse priced
 * when it happens, and the savings report over the worked example (a monthly VPS with ISPmanager Lite gets a 12-month
 * license by the rule 1 → 12; closed, the license goes to the pool; the next such VPS reuses it).
 */
describe('savings report: prices, costs and what the pool saved', function () {
  this.timeout(90_000);
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  /** The config file's `isp` entry with these prices, applied as a restart with a changed file would apply it. */
  const setPrices = async (prices: Prices | null) => {
    const { key, ...server } = testCatalog(h.sandbox).licensingServers[0]!;
    await h.service.catalog.putLicensingServer(key, { ...server, prices }, { managedBy: 'config' });
  };
  const report = async (query = '') => {
    const answer = await h.service.request('GET', `/v1/admin/reports/savings${query}`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body;
  };
  const succeeded = async (event: string, facts: Record<string, unknown>) => {
    const op = await h.run(event, facts);
    assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
    return op;
  };
  const auditOf = async (licenseId: string, action: string) => {
    const { body } = await h.service.request('GET', `/v1/admin/audit?licenseId=${licenseId}`);
    return (body.items as Array<{ action: string; details: Record<string, unknown> }>).filter(
      (i) => i.action === action,
    );
  };

  it('the worked example: one order at the 12-month price, one reuse that avoided it, idle 1 then 0, a renewal', async () => {
    await setPrices(PRICES);
    const opened = await succeeded('open', openFacts('vps-a'));
    assert.equal(opened.result.source, 'order');
    const ordered = await auditOf(opened.result.licenseId, 'license.ordered');
    assert.deepEqual(ordered[0]!.details.cost, { amount: 100, currency: 'EUR' }, 'the 12-month price');

    await succeeded('close', { id: 'vps-a' });
    const pooled = await report();
    assert.deepEqual(pooled.idle.licenses, 1);
    // Its paid days left, prorated on the 12-month price.
    assert.ok(pooled.idle.paidDays > 360, JSON.stringify(pooled.idle));
    assert.ok(Math.abs(pooled.idle.value - (100 * pooled.idle.paidDays) / 365.25) < 0.05, JSON.stringify(pooled.idle));

    const reused = await succeeded('open', openFacts('vps-b'));
    assert.equal(reused.result.source, 'pool');
    assert.equal(reused.result.licenseId, opened.result.licenseId);
    const claimed = await auditOf(reused.result.licenseId, 'license.claimed');
    assert.deepEqual(claimed[0]!.details.costAvoided, { amount: 100, currency: 'EUR' });

    const after = await report();
    assert.equal(after.currency, 'EUR');
    assert.deepEqual(after.orders, { count: 1, cost: 100 });
    assert.deepEqual(after.reuses, { count: 1, costAvoided: 100 });
    assert.deepEqual(after.renewals, { count: 0, cost: null });
    assert.deepEqual(after.idle, { licenses: 0, paidDays: 0, value: null });
    assert.equal(after.unpriced, 0);
    assert.deepEqual(after.byPriceList, [
      { licensingServer: 'isp', priceList: LITE, orders: 1, reuses: 1, renewals: 0, cost: 100, costAvoided: 100 },
    ]);
    assert.deepEqual(after.byTariffPlan, [{ tariffPlan: 'vps-monthly', services: 2, cost: 100 }]);

    // Paid for more than a year ahead: one renewal of 12 months, priced.
    const prolonged = await succeeded('prolong', { id: 'vps-b', paidUntil: paidUntilIn(400) });
    const renewed = await auditOf(prolonged.result.licenseId, 'license.renewed');
    assert.equal(renewed.length, 1);
    assert.deepEqual(renewed[0]!.details.cost, { amount: 100, currency: 'EUR' });
    const withRenewal = await report();
    assert.deepEqual(withRenewal.renewals, { count: 1, cost: 100 });
    assert.deepEqual(withRenewal.byTariffPlan, [{ tariffPlan: 'vps-monthly', services: 2, cost: 200 }]);
    await h.assertInvariants();
  });

  it('without prices every total is null and `unpriced` counts the events', async () => {
    await succeeded('open', openFacts('vps-a'));
    await succeeded('close', { id: 'vps-a' });
    const idle = await report();
    assert.equal(idle.idle.licenses, 1);
    assert.equal(idle.idle.value, null);
    await succeeded('open', openFacts('vps-b'));
    await succeeded('prolong', { id: 'vps-b', paidUntil: paidUntilIn(400) });

    const body = await report();
    assert.equal(body.currency, null);
    assert.deepEqual(body.orders, { count: 1, cost: null });
    assert.deepEqual(body.reuses, { count: 1, costAvoided: null });
    assert.deepEqual(body.renewals, { count: 1, cost: null });
    assert.equal(body.unpriced, 3);
    assert.deepEqual(body.byPriceList[0], {
      licensingServer: 'isp',
      priceList: LITE,
      orders: 1,
      reuses: 1,
      renewals: 1,
      cost: null,
      costAvoided: null,
    });
  });

  it('prices each order with the prices of its moment', async () => {
    await setPrices(PRICES);
    const first = await succeeded('open', openFacts('vps-a'));
    await setPrices({ ...PRICES, [LITE]: { '12': 120.5 } });
    // The pool is empty (vps-a still holds its license): a second order.
    const second = await succeeded('open', openFacts('vps-c'));
    assert.equal(second.result.source, 'order');
    assert.deepEqual((await auditOf(first.result.licenseId, 'license.ordered'))[0]!.details.cost, {
      amount: 100,
      currency: 'EUR',
    });
    assert.deepEqual((await auditOf(second.result.licenseId, 'license.ordered'))[0]!.details.cost, {
      amount: 120.5,
      currency: 'EUR',
    });
    assert.deepEqual((await report()).orders, { count: 2, cost: 220.5 });
  });

  it('a pooled license that could not be reused (gone upstream) is no reuse: the order that followed is', async () => {
    await setPrices(PRICES);
    const opened = await succeeded('open', openFacts('vps-a'));
    await succeeded('close', { id: 'vps-a' });
    h.sandbox.deleteLicense(opened.result.upstreamId);
    const next = await succeeded('open', openFacts('vps-b'));
    assert.equal(next.result.source, 'order');
    const body = await report();
    assert.deepEqual(body.orders, { count: 2, cost: 200 });
    assert.deepEqual(body.reuses, { count: 0, costAvoided: null });
  });

  it('a claimed license pooled or deleted by someone other than its operation is no reuse either', async () => {
    await setPrices(PRICES);
    const opened = await succeeded('open', openFacts('vps-a'));
    await succeeded('close', { id: 'vps-a' });
    const licenses = h.service.stores.licenses;
    const licenseId: string = opened.result.licenseId;
    const { period } = (await licenses.get(licenseId))!;
    const claimFor = async (operationId: string) => {
      const avoided = { price: { amount: 100, currency: 'EUR' }, tariffPlan: 'vps-monthly', period: period! };
      const claimed = await licenses.claimAgain(
        licenseId,
        { serviceId: 'vps-b', avoided },
        { actor: 'worker', at: new Date(), operationId },
      );
      assert.equal(claimed?.state, 'reserved');
      assert.deepEqual((await report()).reuses, { count: 1, costAvoided: 100 });
    };

    // Another operation (a person's action) gives the reserved license back to the pool.
    await claimFor('op-reserving-1');
    const pooled = await licenses.pooled(
      licenseId,
      { reason: 'released' },
      { actor: 'worker', at: new Date(), operationId: 'op-of-a-manual-action' },
    );
    assert.equal(pooled?.state, 'pooled');
    assert.deepEqual((await report()).reuses, { count: 0, costAvoided: null }, 'pooled by another operation');

    // A reconciliation (no operation at all) finds it gone upstream.
    await claimFor('op-reserving-2');
    const deleted = await licenses.deleted(licenseId, 'gone_upstream', { actor: 'reconciler', at: new Date() });
    assert.equal(deleted?.state, 'released');
    assert.deepEqual((await report()).reuses, { count: 0, costAvoided: null }, 'found gone by a reconciliation');
    assert.deepEqual((await report()).orders, { count: 1, cost: 100 });
  });

  it('reads a range of times or dates; a bad bound is 400; viewer may read it, the platform may not', async () => {
    await setPrices(PRICES);
    await succeeded('open', openFacts('vps-a'));
    const today = new Date().toISOString().slice(0, 10);
    const byDates = await report(`?from=${today}&to=${today}`);
    assert.equal(byDates.from, `${today}T00:00:00.000Z`);
    assert.equal(byDates.to, `${today}T23:59:59.999Z`, 'a date `to` is the end of that day');
    assert.equal(byDates.orders.count, 1);
    const before = await report('?from=2020-01-01T00:00:00Z&to=2020-01-31');
    assert.deepEqual(before.orders, { count: 0, cost: null });
    assert.equal(before.unpriced, 0);

    for (const query of ['?from=yesterday', '?to=2026-13-01', '?from=2026-02-01&to=2026-01-01']) {
      const bad = await h.service.request('GET', `/v1/admin/reports/savings${query}`);
      assert.equal(bad.status, 400, query);
      assert.equal(typeof bad.body.error.code, 'string');
    }
    const viewer = await h.service.request('GET', '/v1/admin/reports/savings', { token: TEST_VIEWER_TOKEN });
    assert.equal(viewer.status, 200);
    assert.deepEqual(viewer.body.orders, { count: 1, cost: 100 });
    const platform = await h.service.request('GET', '/v1/admin/reports/savings', { token: TEST_PLATFORM_TOKEN });
    assert.equal(platform.status, 403);
    assert.equal(platform.body.error.code, 'forbidden');
  });

  it('a licensing server PUT takes prices, GET returns them; bad prices are 400 and store nothing', async () => {
    const server = {
      module: 'billmanager',
      url: h.sandbox.apiUrl,
      username: 'reseller',
      password: 'another-password-1',
    };
    const put = await h.service.request('PUT', '/v1/admin/licensing-servers/priced', {
      body: { ...server, prices: PRICES },
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.deepEqual(put.body.prices, PRICES);
    assert.deepEqual((await h.service.request('GET', '/v1/admin/licensing-servers/priced')).body.prices, PRICES);
    const plain = await h.service.request('PUT', '/v1/admin/licensing-servers/plain', { body: server });
    assert.equal(plain.body.prices, null, 'none known');

    const bad: unknown[] = [
      { currency: 'euro', [LITE]: { '1': 1 } },
      { currency: 'EUR', [LITE]: { '1': -1 } },
      { currency: 'EUR', [LITE]: { '0': 1 } },
      { currency: 'EUR', [LITE]: { monthly: 1 } },
      { currency: 'EUR', [LITE]: { '1': '10' } },
      { currency: 'EUR', lite: { '1': 1 } },
    ];
    for (const prices of bad) {
      const answer = await h.service.request('PUT', '/v1/admin/licensing-servers/priced', {
        body: { ...server, prices },
      });
      assert.equal(answer.status, 400, JSON.stringify(prices));
      assert.equal(answer.body.error.code, 'invalid_input');
    }
    assert.deepEqual((await h.service.request('GET', '/v1/admin/licensing-servers/priced')).body.prices, PRICES);
  });
});
