import assert from 'node:assert/strict';
import { DAY_MS, openFacts, paidUntilIn, startHarness, type Harness } from '../helpers/lifecycle';

/** SPEC.md "Money rules" and "The pool", each proved against the sandbox's own call log. */
describe('money rules', function () {
  this.timeout(120_000);
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  const license = async (serviceId: string) =>
    (await h.service.request('GET', `/v1/services/${serviceId}`)).body.license;
  const calls = (func: string) => h.sandbox.calls().filter((c) => c.func === func && c.performed && c.outcome === 'ok');

  it("the seed's worked example: yearly license, monthly VPS, closed in month three, reused by the next VPS", async () => {
    const start = Date.now();
    const month = (n: number) => new Date(start + n * 30 * DAY_MS).toISOString();
    const opened = await h.run('open', openFacts('client-a', { period: 1, paidUntil: month(1) }));
    assert.equal(opened.result.source, 'order');
    const first = await license('client-a');
    assert.equal((await h.run('prolong', { id: 'client-a', paidUntil: month(2), period: 1 })).status, 'succeeded');
    assert.equal((await h.run('prolong', { id: 'client-a', paidUntil: month(3), period: 1 })).status, 'succeeded');
    assert.equal((await h.run('close', { id: 'client-a' })).status, 'succeeded');
    const pool = (await h.service.request('GET', '/v1/admin/pool')).body.items;
    assert.deepEqual(
      pool.map((p: { pooled: number; eligible: number }) => [p.pooled, p.eligible]),
      [[1, 1]],
    );

    const next = openFacts('client-b', { ip: '198.51.100.20', period: 1, paidUntil: month(1) });
    const reused = await h.run('open', next);
    assert.equal(reused.status, 'succeeded', JSON.stringify(reused.error));
    assert.equal(reused.result.source, 'pool');
    const second = await license('client-b');
    assert.equal(second.upstreamId, first.upstreamId, 'the same paid license');
    assert.equal(second.ip, next.ip);
    assert.match(second.name, /client-b/);
    assert.notEqual(second.activationKey, first.activationKey, 'the previous holder no longer has a working key');
    assert.equal(second.status, 'active');

    const orders = calls('soft.order.param');
    assert.equal(orders.length, 1, 'one order in all');
    assert.equal(orders[0]!.params.period, '12', 'a yearly license for a monthly VPS (rule 1 → 12)');
    assert.equal(calls('service.prolong').length, 0, 'no renewals while the license covers the service');
    assert.equal(
      calls('soft.edit').filter((c) => c.params.clicked_button === 'newkey').length,
      1,
      'key regenerated on reuse',
    );
    assert.equal(calls('soft.edit').filter((c) => c.params.ip === next.ip).length, 1, 'IP changed on reuse');
    const upstream = h.sandbox.licenses().find((l) => l.id === first.upstreamId)!;
    assert.equal(upstream.ip, next.ip);
    assert.equal(upstream.status, 2, 'resumed after its time in the pool');
    await h.assertInvariants();
  });

  for (const fault of ['performThenDrop', 'truncate', 'drop'] as const) {
    it(`an order whose reply is lost (${fault}) is found upstream, never ordered again`, async () => {
      h.sandbox.armFault({ kind: fault, func: 'soft.order.param' });
      const op = await h.run('open', openFacts('lost-reply'));
      assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
      const mine = h.sandbox.licenses().filter((l) => l.licname.startsWith('lost-reply') && !l.deleted);
      assert.equal(mine.length, 1, 'exactly one license upstream for the service');
      assert.equal((await license('lost-reply')).upstreamId, mine[0]!.id);
      assert.equal(h.ordersByOperation().get(op.id), 1);
      await h.assertInvariants();
    });
  }

  it('an order whose read-back is refused until the operation gives up: the retry takes that license back from the pool, never orders again', async () => {
    // The order is made and recorded; only reading it back fails, attempt after attempt (SPEC "Money guards").
    h.sandbox.armFault({ kind: 'error', func: 'soft.edit', type: 'access', message: 'refused', times: Infinity });
    const failed = await h.run('open', openFacts('first-read'), ['failed']);
    assert.equal(failed.error.code, 'read_back_failed', JSON.stringify(failed));
    assert.ok(failed.attempts > 1, 'a failed read-back is tried again, not given up at once');
    assert.equal(h.ordersByOperation().get(failed.id), 1, 'ordered once, however often the read failed');
    h.sandbox.clearFaults();
    const retry = await h.service.request('POST', `/v1/admin/operations/${failed.id}/retry`);
    assert.equal(retry.status, 202, JSON.stringify(retry.body));
    const op = await h.settled(failed.id, ['succeeded', 'failed']);
    assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
    assert.equal(h.ordersByOperation().get(op.id), 1, 'one order for the need, across both attempts');
    const mine = h.sandbox.licenses().filter((l) => l.licname.startsWith('first-read') && !l.deleted);
    assert.equal(mine.length, 1);
    const bound = await license('first-read');
    assert.equal(bound.upstreamId, mine[0]!.id);
    assert.ok(bound.paidUntil, 'its expiry is known');
    assert.deepEqual((await h.service.request('GET', '/v1/admin/pool')).body.items, []);
    await h.assertInvariants();
  });

  it('20 services opened at once against a pool of 5: 5 reuses, 15 orders, no license given twice', async () => {
    for (let i = 0; i < 5; i++) await h.run('open', openFacts(`old-${i}`, { period: 1, paidUntil: paidUntilIn(30) }));
    for (let i = 0; i < 5; i++) assert.equal((await h.run('close', { id: `old-${i}` })).status, 'succeeded');
    const ordersBefore = calls('soft.order.param').length;
    const accepted = await Promise.all(Array.from({ length: 20 }, (_, i) => h.hook('open', openFacts(`new-${i}`))));
    assert.deepEqual(
      accepted.map((a) => a.status),
      Array(20).fill(202),
    );
    const ops = await Promise.all(accepted.map((a) => h.settled(a.body.operationId, ['succeeded', 'failed'], 60_000)));
    assert.deepEqual(
      ops.map((o) => o.status),
      Array(20).fill('succeeded'),
    );
    const sources = ops.map((o) => o.result.source);
    assert.equal(sources.filter((s) => s === 'pool').length, 5);
    assert.equal(sources.filter((s) => s === 'order').length, 15);
    assert.equal(calls('soft.order.param').length - ordersBefore, 15);
    const upstreamIds = ops.map((o) => o.result.upstreamId);
    assert.equal(new Set(upstreamIds).size, 20, 'twenty different licenses');
    assert.deepEqual((await h.service.request('GET', '/v1/admin/pool')).body.items, [], 'the pool is used up');
    await h.assertInvariants();
  });

  it('a pooled license the upstream refuses to move returns to the pool; the service gets another', async () => {
    await h.run('open', openFacts('moved', { ip: '198.51.100.30' }));
    assert.equal((await h.run('setparam', { id: 'moved', ip: '198.51.100.31' })).status, 'succeeded');
    await h.run('close', { id: 'moved' });
    const pooled = (await h.service.request('GET', '/v1/admin/licenses?pooled=true')).body.items[0];
    // Its IP changed this month: not eligible for a service on another IP.
    assert.deepEqual((await h.service.request('GET', '/v1/admin/pool')).body.items[0].eligible, 0);
    // Forget the cooldown locally: the upstream's refusal is the final word.
    await h.service.database.db('licenses').where({ id: pooled.id }).update({ ip_changed_at: null });
    const op = await h.run('open', openFacts('newcomer', { ip: '198.51.100.32' }));
    assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
    assert.equal(op.result.source, 'order');
    assert.notEqual(op.result.upstreamId, pooled.upstreamId);
    const back = (await h.service.request('GET', `/v1/admin/licenses?pooled=true`)).body.items;
    assert.deepEqual(
      back.map((l: { id: string }) => l.id),
      [pooled.id],
      'back in the pool',
    );
    const row = await h.service.database.db('licenses').where({ id: pooled.id }).first();
    assert.ok(row.ip_changed_at, 'the refused cooldown is remembered');
    await h.assertInvariants();
  });

  it('no money during a pool reuse: one pooled license is tried, not each; the retry finishes that one', async () => {
    const gone = ['gone-1', 'gone-2'];
    for (const id of gone) await h.run('open', openFacts(id, { period: 1, paidUntil: paidUntilIn(30) }));
    for (const id of gone) assert.equal((await h.run('close', { id })).status, 'succeeded');
    const keysBefore = calls('soft.edit').filter((c) => c.params.clicked_button === 'newkey').length;
    const ordersBefore = calls('soft.order.param').length;
    h.sandbox.setBalance(0, 'reseller');
    // Paid two years ahead: reusing a yearly license needs a renewal, which the account cannot pay.
    const facts = openFacts('broke', { period: 12, paidUntil: paidUntilIn(730) });
    const failed = await h.run('open', facts);
    assert.equal(failed.status, 'failed', JSON.stringify(failed));
    assert.equal(failed.error.code, 'upstream_balance');
    const newKeys = calls('soft.edit').filter((c) => c.params.clicked_button === 'newkey');
    assert.equal(newKeys.length - keysBefore, 1, 'the refusal of the account is not repeated on the next candidate');
    const prepared = newKeys.at(-1)!.params.elid;
    assert.equal(h.sandbox.calls().filter((c) => c.func === 'soft.order.param').length, ordersBefore, 'no order tried');

    h.sandbox.setBalance(100_000, 'reseller');
    assert.equal((await h.service.request('POST', `/v1/admin/operations/${failed.id}/retry`)).status, 202);
    const op = await h.settled(failed.id, ['succeeded', 'failed']);
    assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
    assert.equal(op.result.source, 'pool');
    assert.equal(op.result.upstreamId, prepared, 'the license prepared before the refusal');
    assert.equal(calls('soft.order.param').length, ordersBefore, 'nothing ordered');
    assert.equal(calls('soft.edit').filter((c) => c.params.clicked_button === 'newkey').length - keysBefore, 1);
    assert.ok(new Date((await license('broke')).paidUntil) >= new Date(facts.paidUntil as string));
    await h.assertInvariants();
  });

  it('a pooled license that expired is not reused, and nothing is renewed for the pool', async () => {
    await h.run('open', openFacts('short', { period: 12, paidUntil: paidUntilIn(365), controlPanel: 'isp-business' }));
    await h.run('close', { id: 'short', paidUntil: paidUntilIn(10) });
    const pooled = (await h.service.request('GET', '/v1/admin/licenses?pooled=true')).body.items[0];
    await h.service.database
      .db('licenses')
      .where({ id: pooled.id })
      .update({ paid_until: new Date(Date.now() + 3600_000).toISOString() });
    const op = await h.run(
      'open',
      openFacts('later', { controlPanel: 'isp-business', period: 12, paidUntil: paidUntilIn(365) }),
    );
    assert.equal(op.result.source, 'order', 'a license expiring within the margin is not eligible');
    assert.equal(calls('service.prolong').filter((c) => c.params.elid === pooled.upstreamId).length, 0);
  });
});
