import assert from 'node:assert/strict';
import { openFacts, startHarness, type Harness } from '../helpers/lifecycle';

/**
 * A pool reuse interrupted by a retryable failure (a 5xx, no crash needed) must be finished by the next attempt:
 * the previous holder's key regenerated, the license resumed. The attempt that failed leaves the license `reserved`
 * for the operation, with the new service's id on it.
 */
describe('a pool reuse interrupted by a 5xx', function () {
  this.timeout(60_000);
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  for (const func of ['soft.edit', 'soft.resume']) {
    it(`is finished on the retry when ${func} answers 503 once`, async () => {
      const previous = await h.run('open', openFacts('vps-old'));
      assert.equal(previous.status, 'succeeded');
      assert.equal((await h.run('close', { id: 'vps-old' })).status, 'succeeded');
      const upstreamId = previous.result.upstreamId as string;
      const upstream = () => h.sandbox.licenses().find((l) => l.id === upstreamId)!;
      assert.equal(upstream().status, 3, 'suspended while pooled');
      const previousKey = upstream().lickey;

      h.sandbox.armFault({ kind: 'http', status: 503, func, times: 1 });
      const op = await h.run('open', openFacts('vps-new'));
      assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
      assert.ok(op.attempts >= 2, `retried after the 503 (attempts ${op.attempts})`);
      assert.equal(h.ordersByOperation().get(op.id), undefined, 'nothing ordered: the pooled license was reused');
      const { body } = await h.service.request('GET', '/v1/services/vps-new');
      assert.equal(body.license?.upstreamId, upstreamId, 'the pooled license is bound to the new service');
      assert.notEqual(upstream().lickey, previousKey, 'the activation key was regenerated');
      assert.equal(body.license.activationKey, upstream().lickey);
      assert.equal(upstream().status, 2, 'active upstream');
      assert.equal(body.license.status, 'active');
      await h.assertInvariants();
      assert.equal(op.result.source, 'pool', 'the operation reports that it reused a pooled license');
    });
  }
});

/**
 * A pooled license claimed for reuse is edited before it is read (its record is its release's read). When the
 * upstream refuses that edit with something other than "missing" (a real BILLmanager may, for a license deleted
 * behind our back but still readable with status "deleted"), the license is read to tell: a dead one leaves the pool
 * and the open orders instead of failing, and the next open does not claim it again.
 */
describe('a pooled license deleted upstream, whose edit is refused with another error', function () {
  this.timeout(60_000);
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('is read, found deleted, taken out of the pool, and the open orders a new license', async () => {
    const previous = await h.run('open', openFacts('vps-gone'));
    assert.equal((await h.run('close', { id: 'vps-gone' })).status, 'succeeded');
    const upstreamId = previous.result.upstreamId as string;
    h.sandbox.deleteLicense(upstreamId);
    h.sandbox.armFault({ kind: 'error', type: 'value', object: 'ip', func: 'soft.edit', times: 1 });

    const op = await h.run('open', openFacts('vps-after'));
    assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
    assert.equal(op.result.source, 'order', 'the dead license was not reused: a new one was ordered');
    assert.notEqual(op.result.upstreamId, upstreamId);
    const { body } = await h.service.request('GET', `/v1/admin/licenses?id=${upstreamId}`);
    assert.equal(body.items[0]?.status, 'deleted', 'the dead license is marked deleted');
    assert.equal(body.items[0]?.pooled, false, 'and is out of the pool');
    await h.assertInvariants();
  });
});
