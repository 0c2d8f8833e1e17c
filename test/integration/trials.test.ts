import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { runMaintenanceSweep } from '../../src/queue/maintenance';
import { lifecycleDepsFor } from '../helpers/lifecycle-deps';
import { DAY_MS, openFacts, paidUntilIn, startHarness, type Harness } from '../helpers/lifecycle';
import { putTrialCatalog } from '../helpers/trials';

describe('trials (SPEC.md "Trials")', function () {
  this.timeout(60_000);
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
    await putTrialCatalog(h);
  });
  afterEach(async () => {
    await h.close();
  });

  const trialFacts = (id: string, overrides: Record<string, unknown> = {}) =>
    openFacts(id, { tariffPlan: 'vps6', controlPanel: 'isp6-trial', ...overrides });
  const license = async (serviceId: string) =>
    (await h.service.request('GET', `/v1/services/${serviceId}`)).body.license;
  const upstream = (upstreamId: string) => h.sandbox.licenses().find((l) => l.id === upstreamId)!;
  const calls = (func: string) => h.sandbox.calls().filter((c) => c.func === func && c.performed);

  it('orders a trial once per IP: the second is refused and its operation fails with the reason', async () => {
    const first = await h.run('open', trialFacts('vps-t1'));
    assert.equal(first.status, 'succeeded', JSON.stringify(first.error));
    assert.equal(first.result.source, 'order');
    const trial = await license('vps-t1');
    assert.equal(trial.priceList, '55239');
    assert.equal(upstream(trial.upstreamId).period, '-50', "ordered with the module's trial period code");
    assert.equal(calls('service.prolong').length, 0, 'a trial shorter than the service is not renewed');
    const listed = await h.service.request('GET', '/v1/admin/licenses?period=trial');
    assert.deepEqual(
      listed.body.items.map((i: { id: string; period: string }) => [i.id, i.period]),
      [[trial.id, 'trial']],
    );

    const second = await h.run('open', trialFacts('vps-t2', { ip: trialFacts('vps-t1').ip }));
    assert.equal(second.status, 'failed', 'a refusal only a person can settle');
    assert.equal(second.error.code, 'upstream_exists');
    assert.match(second.error.message, /trial license was already issued/);
    assert.equal(calls('soft.order.param').length, 1, 'no paid license ordered instead');
    assert.equal(await license('vps-t2'), null);
  });

  it('never takes a pooled license, even one of the trial price list: always a new trial order', async () => {
    const stocked = h.sandbox.createLicense({ pricelist: '55239', expiredate: paidUntilIn(60).slice(0, 10) });
    await lifecycleDepsFor(h.service).licenses.adopted(
      {
        id: crypto.randomUUID(),
        licensingServer: 'isp',
        upstreamId: stocked.id,
        priceList: '55239',
        period: null,
        status: 'active',
        paidUntil: new Date(paidUntilIn(60)),
        ip: stocked.ip,
        name: stocked.licname,
        activationKey: stocked.lickey,
      },
      { actor: 'admin', at: new Date() },
    );
    const op = await h.run('open', trialFacts('vps-t7'));
    assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
    assert.equal(op.result.source, 'order');
    assert.notEqual(op.result.upstreamId, stocked.id);
    assert.equal(upstream(op.result.upstreamId).period, '-50');
  });

  it('deletes a trial upstream on close, even when it is paid past the service: never pooled', async () => {
    await h.run('open', trialFacts('vps-t3', { paidUntil: paidUntilIn(2) }));
    const trial = await license('vps-t3');
    assert.equal((await h.run('close', { id: 'vps-t3' })).status, 'succeeded');
    assert.equal(upstream(trial.upstreamId).deleted, true, 'deleted upstream');
    assert.equal((await h.service.request('GET', '/v1/admin/pool')).body.items.length, 0, 'nothing pooled');
    const [item] = (await h.service.request('GET', `/v1/admin/licenses?id=${trial.id}`)).body.items;
    assert.equal(item.status, 'deleted');
    await h.assertInvariants();
  });

  it('replaces a trial on a move to a paid value: the trial deleted, a pooled license taken first', async () => {
    await h.run('open', trialFacts('vps-paid', { controlPanel: 'isp6-lite', paidUntil: paidUntilIn(2) }));
    const pooled = await license('vps-paid');
    await h.run('close', { id: 'vps-paid' });
    assert.equal(upstream(pooled.upstreamId).deleted, false, 'the paid license waits in the pool');

    await h.run('open', trialFacts('vps-t4', { paidUntil: paidUntilIn(2) }));
    const trial = await license('vps-t4');
    const ordersBefore = calls('soft.order.param').length;
    const moved = await h.run('setparam', { id: 'vps-t4', controlPanel: 'isp6-lite' });
    assert.equal(moved.status, 'succeeded', JSON.stringify(moved.error));
    assert.equal(moved.result.source, 'pool');
    assert.equal(moved.result.upstreamId, pooled.upstreamId);
    assert.equal(calls('soft.order.param').length, ordersBefore, 'nothing ordered');
    assert.equal(upstream(trial.upstreamId).deleted, true, 'the trial deleted upstream');
    assert.equal((await h.service.request('GET', '/v1/admin/pool')).body.items[0]?.pooled ?? 0, 0);
    await h.assertInvariants();
  });

  it('never renews a trial: neither a prolong nor the scheduled renewal', async () => {
    await h.run('open', trialFacts('vps-t5', { paidUntil: paidUntilIn(2) }));
    const before = await license('vps-t5');
    const prolonged = await h.run('prolong', { id: 'vps-t5', paidUntil: paidUntilIn(60) });
    assert.equal(prolonged.status, 'succeeded', JSON.stringify(prolonged.error));
    assert.equal(calls('service.prolong').length, 0, 'no renewal asked upstream');
    assert.equal((await license('vps-t5')).paidUntil, before.paidUntil);

    // Ten days on, the 14-day trial lapses within the renewal lead while the service is paid for 60 days.
    const sweep = await runMaintenanceSweep(lifecycleDepsFor(h.service, () => new Date(Date.now() + 12 * DAY_MS)));
    assert.equal(sweep.renewals, 0, 'the sweep leaves a trial alone');
  });

  it('refuses a trial on a licensing server without a trial period code: a configuration failure', async () => {
    const server = (await h.service.request('GET', '/v1/admin/licensing-servers/isp')).body;
    const put = await h.service.request('PUT', '/v1/admin/licensing-servers/isp-notrial', {
      body: { module: 'billmanager', url: server.url, username: server.username, password: 'Sandb0x-pa55word!' },
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    await putTrialCatalog(h, 'isp-notrial');
    const op = await h.run('open', trialFacts('vps-t6'));
    assert.equal(op.status, 'failed');
    assert.equal(op.error.code, 'module_configuration');
    assert.match(op.error.message, /periodCodes\.trial/);
    assert.equal(calls('soft.order.param').length, 0);
  });
});
