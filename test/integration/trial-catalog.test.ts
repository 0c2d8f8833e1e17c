import assert from 'node:assert/strict';
import { openFacts, startHarness, type Harness } from '../helpers/lifecycle';
import { ISP6_VALUES, putTrialCatalog } from '../helpers/trials';

describe('the catalog and trial values (SPEC.md "Trials")', function () {
  this.timeout(30_000);
  let h: Harness;

  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  it('accepts a value whose periods are ["trial"]: the period comparisons of its server do not apply', async () => {
    // The licensing server has the rule 1 → 12, which a price list ordered only as a trial could never satisfy.
    await putTrialCatalog(h);
    const { body } = await h.service.request('GET', '/v1/admin/enumerations/isp6');
    assert.deepEqual(body.values.find((v: { key: string }) => v.key === 'isp6-trial').periods, ['trial']);
  });

  it('refuses "trial" mixed with other periods in a value', async () => {
    const values = ISP6_VALUES.map((v) => (v.key === 'isp6-trial' ? { ...v, periods: [1, 'trial'] } : v));
    const put = await h.service.request('PUT', '/v1/admin/enumerations/mixed', { body: { name: 'Mixed', values } });
    assert.equal(put.status, 400, JSON.stringify(put.body));
    assert.equal((await h.service.request('GET', '/v1/admin/enumerations/mixed')).status, 404);
  });

  it('refuses "trial" in period comparisons, in their resolution and in hooks', async () => {
    for (const rule of [
      { licensingServer: 'isp', sourcePeriod: 'trial', targetPeriod: 12 },
      { licensingServer: 'isp', sourcePeriod: 3, targetPeriod: 'trial' },
    ]) {
      const posted = await h.service.request('POST', '/v1/admin/period-comparisons', { body: rule });
      assert.equal(posted.status, 400, JSON.stringify(posted.body));
    }
    await putTrialCatalog(h);
    const resolved = await h.service.request(
      'GET',
      '/v1/admin/period-comparisons/resolve?licensingServer=isp&tariffPlan=vps6&sourcePeriod=1&priceList=55239',
    );
    assert.equal(resolved.status, 422, JSON.stringify(resolved.body));
    assert.equal(resolved.body.error.code, 'trial_price_list');
    const hook = await h.hook('open', openFacts('vps-tp', { tariffPlan: 'vps6', period: 'trial' }));
    assert.equal(hook.status, 400, JSON.stringify(hook.body));
  });
});
