import assert from 'node:assert/strict';
import {
  openFacts,
  paidUntilIn,
  SANDBOX_PASSWORD,
  SANDBOX_USER,
  startHarness,
  type Harness,
} from '../helpers/lifecycle';
import { ApiClient, errorOf } from '../sandbox/helpers';

describe('lifecycle through signed hooks', function () {
  this.timeout(60_000);
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  async function license(serviceId: string) {
    return (await h.service.request('GET', `/v1/services/${serviceId}`)).body.license;
  }

  it('open orders a license bound to the service: its IP, a name naming it, active, paid past the service', async () => {
    const facts = openFacts('vps-1');
    const op = await h.run('open', facts);
    assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
    assert.equal(op.result.source, 'order');
    const bound = await license('vps-1');
    assert.equal(bound.ip, facts.ip);
    assert.match(bound.name, /vps-1/);
    assert.equal(bound.status, 'active');
    assert.equal(bound.priceList, '3541');
    assert.ok(new Date(bound.paidUntil) >= new Date(facts.paidUntil as string), 'paid past the service');
    const upstream = h.sandbox.licenses().find((l) => l.id === bound.upstreamId)!;
    assert.equal(upstream.period, '12', 'the rule 1 → 12 ordered a yearly license');
    assert.equal(bound.activationKey, upstream.lickey);
    await h.assertInvariants();
  });

  it('open with nopanel (or the plan default nopanel) orders nothing', async () => {
    const op = await h.run('open', openFacts('vps-np', { controlPanel: undefined }));
    assert.equal(op.status, 'succeeded');
    assert.deepEqual(op.result, { licenseId: null, upstreamId: null, source: 'none', paidUntil: null });
    assert.equal(await license('vps-np'), null);
    assert.equal(h.sandbox.calls().filter((c) => c.func === 'soft.order.param').length, 0);
  });

  it('prolong renews only when the license does not cover the new paid-until date', async () => {
    await h.run('open', openFacts('vps-2', { period: 12, paidUntil: paidUntilIn(365), controlPanel: 'bill-startup' }));
    const before = await license('vps-2');
    const covered = await h.run('prolong', { id: 'vps-2', paidUntil: paidUntilIn(300) });
    assert.equal(covered.status, 'succeeded');
    assert.equal(h.sandbox.calls().filter((c) => c.func === 'service.prolong').length, 0, 'no renewal while covered');
    const further = await h.run('prolong', { id: 'vps-2', paidUntil: paidUntilIn(365 * 2 + 30) });
    assert.equal(further.status, 'succeeded', JSON.stringify(further.error));
    const prolongs = h.sandbox.calls().filter((c) => c.func === 'service.prolong' && c.performed);
    assert.equal(prolongs.length, 2, 'renewed twice by 12 months to cover two more years');
    const after = await license('vps-2');
    assert.ok(new Date(after.paidUntil) > new Date(before.paidUntil), 'paid further');
    assert.ok(new Date(after.paidUntil) >= new Date(paidUntilIn(365 * 2 + 30)), 'covers the service');
    await h.assertInvariants();
  });

  it('prolong reads the expiry upstream before it pays: a renewal made there by hand is not paid again', async () => {
    await h.run(
      'open',
      openFacts('vps-hand', { period: 12, paidUntil: paidUntilIn(300), controlPanel: 'bill-startup' }),
    );
    const { upstreamId } = await license('vps-hand');
    const byHand = await new ApiClient(h.sandbox, SANDBOX_USER, SANDBOX_PASSWORD).call('service.prolong', {
      elid: upstreamId,
      period: '12',
      sok: 'ok',
    });
    assert.equal(errorOf(byHand), undefined, byHand.body);
    const prolongsBefore = h.sandbox.calls().filter((c) => c.func === 'service.prolong').length;
    const op = await h.run('prolong', { id: 'vps-hand', paidUntil: paidUntilIn(600) });
    assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
    assert.equal(
      h.sandbox.calls().filter((c) => c.func === 'service.prolong').length,
      prolongsBefore,
      'not paid again',
    );
    assert.ok(
      new Date((await license('vps-hand')).paidUntil) >= new Date(paidUntilIn(600)),
      'the local expiry caught up',
    );
  });

  it('suspend and resume follow the service', async () => {
    await h.run('open', openFacts('vps-3'));
    assert.equal((await h.run('suspend', { id: 'vps-3' })).status, 'succeeded');
    assert.equal((await license('vps-3')).status, 'suspended');
    assert.equal((await h.service.request('GET', '/v1/services/vps-3')).body.service.status, 'suspended');
    assert.equal((await h.run('resume', { id: 'vps-3' })).status, 'succeeded');
    assert.equal((await license('vps-3')).status, 'active');
    const upstream = h.sandbox.licenses().find((l) => l.licname.startsWith('vps-3'))!;
    assert.equal(upstream.status, 2);
  });

  it('close pools a license paid past the service, and deletes one that is not', async () => {
    await h.run('open', openFacts('vps-4'));
    const pooledId = (await license('vps-4')).upstreamId;
    assert.equal((await h.run('close', { id: 'vps-4' })).status, 'succeeded');
    assert.equal(await license('vps-4'), null);
    const pool = (await h.service.request('GET', '/v1/admin/pool')).body.items;
    assert.deepEqual(
      pool.map((p: { priceList: string; pooled: number }) => [p.priceList, p.pooled]),
      [['3541', 1]],
    );
    assert.equal(h.sandbox.licenses().find((l) => l.id === pooledId)!.deleted, false, 'kept upstream');

    // Monthly service, monthly license (lifetime/yearly not forced): paid exactly as far as the service → deleted.
    await h.run('open', openFacts('vps-5', { period: 12, paidUntil: paidUntilIn(365), controlPanel: 'isp-business' }));
    const deletedId = (await license('vps-5')).upstreamId;
    assert.equal((await h.run('close', { id: 'vps-5', paidUntil: paidUntilIn(400) })).status, 'succeeded');
    assert.equal(h.sandbox.licenses().find((l) => l.id === deletedId)!.deleted, true, 'deleted upstream');
    await h.assertInvariants();
  });

  it('setparam applies a new IP, swaps the license for a new panel (pool first), and nopanel only releases', async () => {
    await h.run('open', openFacts('vps-6'));
    const first = await license('vps-6');
    assert.equal((await h.run('setparam', { id: 'vps-6', ip: '198.51.100.7' })).status, 'succeeded');
    assert.equal((await license('vps-6')).ip, '198.51.100.7');
    assert.equal(h.sandbox.licenses().find((l) => l.id === first.upstreamId)!.ip, '198.51.100.7');

    const swapped = await h.run('setparam', { id: 'vps-6', controlPanel: 'isp-business' });
    assert.equal(swapped.status, 'succeeded', JSON.stringify(swapped.error));
    const second = await license('vps-6');
    assert.equal(second.priceList, '4601');
    const pooled = (await h.service.request('GET', '/v1/admin/licenses?pooled=true')).body.items;
    assert.deepEqual(
      pooled.map((l: { upstreamId: string }) => l.upstreamId),
      [first.upstreamId],
      'the old one went to the pool',
    );

    const released = await h.run('setparam', { id: 'vps-6', controlPanel: 'nopanel' });
    assert.equal(released.status, 'succeeded');
    assert.equal(await license('vps-6'), null);
    await h.assertInvariants();
  });

  it('a second IP change in one calendar month waits for the upstream cooldown', async () => {
    await h.run('open', openFacts('vps-7'));
    assert.equal((await h.run('setparam', { id: 'vps-7', ip: '198.51.100.8' })).status, 'succeeded');
    const refused = await h.run('setparam', { id: 'vps-7', ip: '198.51.100.9' });
    assert.equal(refused.status, 'waiting');
    assert.equal(refused.error.code, 'upstream_limit');
    assert.ok(new Date(refused.notBefore).getUTCDate() === 1, 'waits for the next calendar month');
    const retried = await h.service.request('POST', `/v1/admin/operations/${refused.id}/retry`);
    assert.equal(retried.status, 202);
    assert.deepEqual(retried.body, { operationId: refused.id, status: 'queued' });
  });

  it('no money: the operation fails with upstream_balance, and a retry after a top-up succeeds', async () => {
    h.sandbox.setBalance(0, 'reseller');
    const failed = await h.run('open', openFacts('vps-8'));
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error.code, 'upstream_balance');
    const noRetryWhileFailed = h.sandbox.calls().filter((c) => c.func === 'soft.order.param').length;
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(
      h.sandbox.calls().filter((c) => c.func === 'soft.order.param').length,
      noRetryWhileFailed,
      'not retried blindly',
    );
    // Later operations of the same service wait behind it, in order.
    const behind = await h.hook('suspend', { id: 'vps-8' });
    assert.equal(behind.status, 202);
    const held = (await h.service.request('GET', `/v1/operations/${behind.body.operationId}`)).body;
    assert.equal(held.status, 'waiting');
    assert.equal((await h.service.request('POST', `/v1/admin/operations/${held.id}/retry`)).status, 202);
    h.sandbox.setBalance(10_000, 'reseller');
    assert.equal((await h.service.request('POST', `/v1/admin/operations/${failed.id}/retry`)).status, 202);
    assert.equal((await h.settled(failed.id)).status, 'succeeded');
    assert.equal((await h.settled(behind.body.operationId)).status, 'succeeded');
    assert.equal((await h.service.request('POST', `/v1/admin/operations/${failed.id}/retry`)).status, 409);
    await h.assertInvariants();
  });

  it('network failures and 5xx are retried with back-off until they pass', async () => {
    h.sandbox.armFault({ kind: 'http', status: 503, func: 'soft.order.param', times: 2 });
    const op = await h.run('open', openFacts('vps-9'));
    assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
    assert.ok(op.attempts >= 3, `tried ${op.attempts} times`);
    assert.equal(h.ordersByOperation().get(op.id), 1);
    await h.assertInvariants();
  });

  it('reads: operations newest first by status and service, licenses with filters and a cursor', async () => {
    await h.run('open', openFacts('vps-10'));
    await h.run('open', openFacts('vps-11', { controlPanel: 'isp-business' }));
    const ops = (await h.service.request('GET', '/v1/admin/operations?status=succeeded')).body.items;
    assert.deepEqual(
      ops.map((o: { serviceId: string }) => o.serviceId),
      ['vps-11', 'vps-10'],
    );
    const mine = (await h.service.request('GET', '/v1/admin/operations?serviceId=vps-10')).body.items;
    assert.equal(mine.length, 1);
    const page1 = (await h.service.request('GET', '/v1/admin/licenses?limit=1')).body;
    assert.equal(page1.items.length, 1);
    assert.ok(page1.nextCursor, 'a cursor to the next page');
    const page2 = (await h.service.request('GET', `/v1/admin/licenses?limit=1&cursor=${page1.nextCursor}`)).body;
    assert.equal(page2.items.length, 1);
    assert.notEqual(page2.items[0].id, page1.items[0].id);
    assert.equal(page2.nextCursor, null);
    const byPrice = (await h.service.request('GET', '/v1/admin/licenses?priceList=4601')).body.items;
    assert.deepEqual(
      byPrice.map((l: { serviceId: string }) => l.serviceId),
      ['vps-11'],
    );
    assert.equal((await h.service.request('GET', '/v1/admin/licenses?pooled=maybe')).status, 400);
    assert.equal((await h.service.request('GET', '/v1/operations/nope')).status, 404);
    assert.equal((await h.service.request('GET', '/v1/services/nope')).status, 404);
  });
});
