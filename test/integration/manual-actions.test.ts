import assert from 'node:assert/strict';
import { openFacts, startHarness, type Harness } from '../helpers/lifecycle';

/**
 * Licenses by hand (CONTRACT.md): the admin's actions on one license, pool orders and `provide`, each an operation
 * of the hooks' pipeline, run by the in-process workers against the sandbox.
 */
describe('licenses by hand: actions, pool orders, provide', function () {
  this.timeout(90_000);
  let h: Harness;

  before(async () => {
    h = await startHarness();
  });
  after(async () => h?.close());

  const post = (path: string, body?: unknown) => h.service.request('POST', path, { body });
  const action = (licenseId: string, body: unknown) => post(`/v1/admin/licenses/${licenseId}/actions`, body);
  const remote = (upstreamId: string) => h.sandbox.licenses().find((l) => l.id === upstreamId)!;
  const performed = (func: string, upstreamId: string) =>
    h.sandbox.calls().filter((c) => c.func === func && c.performed && c.params.elid === upstreamId);

  async function acted(licenseId: string, body: Record<string, unknown>) {
    const answer = await action(licenseId, body);
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    assert.equal(answer.body.status, 'queued');
    const op = await h.settled(answer.body.operationId);
    assert.equal(op.status, 'succeeded', JSON.stringify(op));
    assert.equal(op.event, `license.${String(body.action)}`);
    return op;
  }

  async function license(id: string) {
    const { body } = await h.service.request('GET', `/v1/admin/licenses?id=${id}`);
    assert.equal(body.items.length, 1, `license ${id} is listed`);
    return body.items[0];
  }

  /** Orders `count` licenses of ISPmanager Lite into the pool and waits for them: their operations. */
  async function orderIntoPool(count: number) {
    const answer = await post('/v1/admin/pool/orders', {
      licensingServer: 'isp',
      priceList: '3541',
      period: 12,
      count,
    });
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    const ops = [];
    for (const id of answer.body.operationIds as string[]) ops.push(await h.settled(id));
    return ops;
  }

  it('a pool order of 3 leaves 3 pooled licenses named "pool <id>" and 3 orders upstream, each counted once', async () => {
    const ops = await orderIntoPool(3);
    assert.equal(new Set(ops.map((op) => op.id)).size, 3);
    for (const op of ops) {
      assert.equal(op.status, 'succeeded', JSON.stringify(op));
      assert.equal(op.event, 'pool.order');
      assert.equal(op.serviceId, null);
      assert.equal(h.ordersByOperation().get(op.id), 1, `operation ${op.id} ordered once`);
      const item = await license(op.result.licenseId);
      assert.equal(item.pooled, true);
      assert.equal(item.serviceId, null);
      assert.equal(item.priceList, '3541');
      assert.equal(item.period, 12);
      const upstream = remote(op.result.upstreamId);
      assert.equal(upstream.licname, `pool ${op.result.licenseId}`);
      assert.equal(upstream.ip, '0.0.0.0');
      assert.equal(upstream.pricelist, '3541');
    }
    const counters = await h.service.db('spend_counters').sum({ n: 'paid_calls' }).first();
    assert.ok(Number(Object.values(counters ?? {})[0]) >= 3, 'the orders count against the daily cap');
    const audit = await h.service.request('GET', `/v1/admin/audit?actor=admin`);
    assert.ok(
      audit.body.items.some((row: { action: string }) => row.action === 'admin.pool.order'),
      'the pool order is audited',
    );
  });

  it('a pool order names a known server, a price list its plans use and a period it is ordered for (else 422)', async () => {
    const base = { licensingServer: 'isp', priceList: '3541', period: 12, count: 1 };
    assert.equal((await post('/v1/admin/pool/orders', { ...base, licensingServer: 'nope' })).status, 422);
    assert.equal((await post('/v1/admin/pool/orders', { ...base, priceList: '999999' })).status, 422);
    assert.equal((await post('/v1/admin/pool/orders', { ...base, period: 7 })).status, 422);
    assert.equal((await post('/v1/admin/pool/orders', { ...base, count: 101 })).status, 400);
    assert.equal((await post('/v1/admin/pool/orders', { ...base, priceList: 3541 })).status, 400);
  });

  it('each action on an unbound license runs upstream, with serviceId null and an audit row naming both', async () => {
    const [ordered] = await orderIntoPool(1);
    const { licenseId, upstreamId } = ordered.result;

    const suspended = await acted(licenseId, { action: 'suspend' });
    assert.equal(suspended.serviceId, null);
    assert.equal(performed('soft.suspend', upstreamId).length, 1);
    assert.equal((await license(licenseId)).status, 'suspended');

    await acted(licenseId, { action: 'resume' });
    assert.equal(performed('soft.resume', upstreamId).length, 1);
    assert.equal((await license(licenseId)).status, 'active');

    const keyBefore = remote(upstreamId).lickey;
    await acted(licenseId, { action: 'regenerate-key' });
    assert.notEqual(remote(upstreamId).lickey, keyBefore, 'a new key upstream');
    assert.equal((await license(licenseId)).activationKey, remote(upstreamId).lickey);

    await acted(licenseId, { action: 'change-ip', ip: '198.51.100.201' });
    assert.equal(remote(upstreamId).ip, '198.51.100.201');
    assert.equal((await license(licenseId)).ip, '198.51.100.201');

    const expiryBefore = remote(upstreamId).expiredate;
    const renewed = await acted(licenseId, { action: 'renew', period: 1 });
    assert.equal(performed('service.prolong', upstreamId).length, 1, 'renewed once');
    assert.ok(remote(upstreamId).expiredate > expiryBefore, 'paid further upstream');
    assert.equal(renewed.result.paidUntil, (await license(licenseId)).paidUntil);

    const deleted = await acted(licenseId, { action: 'delete' });
    assert.equal(remote(upstreamId).deleted, true);
    assert.equal((await license(licenseId)).status, 'deleted');

    const again = await action(licenseId, { action: 'resume' });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'invalid_state');

    const { body } = await h.service.request('GET', `/v1/admin/audit?licenseId=${licenseId}&actor=admin`);
    const actions = body.items.map((row: { action: string }) => row.action).sort();
    assert.deepEqual(actions, [
      'admin.license.change-ip',
      'admin.license.delete',
      'admin.license.regenerate-key',
      'admin.license.renew',
      'admin.license.resume',
      'admin.license.suspend',
    ]);
    const row = body.items.find((r: { action: string }) => r.action === 'admin.license.delete');
    assert.equal(row.operationId, deleted.id);
    assert.equal(row.licenseId, licenseId);
  });

  it("an unbound license's operations run one at a time, in the order they were asked for", async () => {
    const [ordered] = await orderIntoPool(1);
    const { licenseId, upstreamId } = ordered.result;
    const asked = [];
    for (const body of [{ action: 'suspend' }, { action: 'resume' }, { action: 'suspend' }]) {
      const answer = await action(licenseId, body);
      assert.equal(answer.status, 202);
      asked.push(answer.body.operationId as string);
    }
    const ops = [];
    for (const id of asked) ops.push(await h.settled(id, ['succeeded', 'failed']));
    assert.deepEqual(
      ops.map((op) => op.status),
      ['succeeded', 'succeeded', 'succeeded'],
    );
    const calls = h.sandbox
      .calls()
      .filter((c) => c.performed && c.params.elid === upstreamId && /^soft\.(suspend|resume)$/.test(c.func))
      .map((c) => c.func);
    assert.deepEqual(calls, ['soft.suspend', 'soft.resume', 'soft.suspend']);
    assert.equal((await license(licenseId)).status, 'suspended');
  });

  it('a bound license: its actions carry the service, and deleting it is 409 license_bound', async () => {
    const facts = openFacts('manual-bound');
    const opened = await h.run('open', facts);
    assert.equal(opened.status, 'succeeded', JSON.stringify(opened));
    const { licenseId, upstreamId } = opened.result;

    const refused = await action(licenseId, { action: 'delete' });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'license_bound');
    assert.equal(remote(upstreamId).deleted, false);

    // (The license may come from the pool, its IP and key changed this month: cooldowns upstream.)
    const suspended = await acted(licenseId, { action: 'suspend' });
    assert.equal(suspended.serviceId, facts.id, "in the line of the license's service");
    const { body } = await h.service.request('GET', `/v1/services/${String(facts.id)}`);
    assert.equal(body.license.status, 'suspended');
    assert.equal((await acted(licenseId, { action: 'resume' })).serviceId, facts.id);

    const renewed = await acted(licenseId, { action: 'renew' });
    assert.equal(renewed.serviceId, facts.id);
    assert.equal(performed('service.prolong', upstreamId).length, 1);
  });

  it('refuses what cannot be done: unknown license 404, bad ip or period 400', async () => {
    assert.equal((await action('no-such-license', { action: 'suspend' })).status, 404);
    const [ordered] = await orderIntoPool(1);
    const { licenseId } = ordered.result;
    assert.equal((await action(licenseId, { action: 'change-ip', ip: '300.1.1.1' })).status, 400);
    assert.equal((await action(licenseId, { action: 'change-ip' })).status, 400);
    assert.equal((await action(licenseId, { action: 'renew', period: 0 })).status, 400);
    assert.equal((await action(licenseId, { action: 'renew', period: 'forever' })).status, 400);
    assert.equal((await action(licenseId, { action: 'explode' })).status, 400);
    const viewer = await h.service.request('POST', `/v1/admin/licenses/${licenseId}/actions`, {
      body: { action: 'suspend' },
      token: 'test-viewer-token-0123456789',
    });
    assert.equal(viewer.status, 403);
  });

  it('provide: after its license was deleted upstream, the service gets one again, from the pool first', async () => {
    const facts = openFacts('manual-provide', { ip: '198.51.100.203' });
    const opened = await h.run('open', facts);
    assert.equal(opened.status, 'succeeded', JSON.stringify(opened));
    const live = await post(`/v1/admin/services/${String(facts.id)}/provide`);
    assert.equal(live.status, 409, 'a live license is bound');
    assert.equal(live.body.error.code, 'invalid_state');

    await orderIntoPool(1);
    const pool = await h.service.request('GET', '/v1/admin/licenses?pooled=true&priceList=3541');
    const pooledIds = pool.body.items.map((item: { id: string }) => item.id);
    assert.ok(pooledIds.length >= 1);
    // Deleted behind the service's back, and found so (as reconciliation records it).
    h.sandbox.deleteLicense(opened.result.upstreamId);
    await h.service.stores.licenses.synced(
      opened.result.licenseId,
      { status: 'deleted' },
      { actor: 'reconciler', at: new Date() },
    );

    const answer = await post(`/v1/admin/services/${String(facts.id)}/provide`);
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    const op = await h.settled(answer.body.operationId);
    assert.equal(op.status, 'succeeded', JSON.stringify(op));
    assert.equal(op.event, 'service.provide');
    assert.equal(op.result.source, 'pool');
    assert.ok(pooledIds.includes(op.result.licenseId), 'a pooled license, not a new order');
    assert.equal(h.ordersByOperation().get(op.id), undefined, 'nothing ordered');
    const { body } = await h.service.request('GET', `/v1/services/${String(facts.id)}`);
    assert.equal(body.license.id, op.result.licenseId);
    assert.equal(remote(op.result.upstreamId).ip, facts.ip);
    assert.equal((await license(opened.result.licenseId)).serviceId, null, 'the deleted one let go');
  });

  it('provide: unknown service 404, a service without a control panel 409', async () => {
    assert.equal((await post('/v1/admin/services/no-such-service/provide')).status, 404);
    const facts = openFacts('manual-nopanel', { controlPanel: 'nopanel' });
    assert.equal((await h.run('open', facts)).status, 'succeeded');
    const answer = await post(`/v1/admin/services/${String(facts.id)}/provide`);
    assert.equal(answer.status, 409);
    assert.equal(answer.body.error.code, 'invalid_state');
  });
});
