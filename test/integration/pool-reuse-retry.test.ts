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
