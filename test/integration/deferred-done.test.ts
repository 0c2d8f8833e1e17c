import assert from 'node:assert/strict';
import { OperationRunner } from '../../src/lifecycle/operation-runner';
import { lifecycleDepsFor } from '../helpers/lifecycle-deps';
import { openFacts, paidUntilIn, startHarness, type Harness } from '../helpers/lifecycle';

/**
 * A non-paid step's `done` (and an order's) is committed with the attempt's next commit (issue 12), yet stamped with
 * the moment its call returned: the license's `ip_changed_at` and `key_regenerated_at` (which start upstream
 * cooldowns) must not move with the commit. A clock that moves one second at every reading tells the two apart.
 */
describe('a step committed with the next commit keeps the time its call returned', function () {
  this.timeout(30_000);
  let h: Harness;

  before(async () => {
    h = await startHarness({ role: 'api' });
  });
  after(async () => {
    await h.close();
  });

  it('a pool reuse: the IP change and the new key are stamped as their actions were settled', async () => {
    let t = Date.now();
    const deps = lifecycleDepsFor(h.service, () => new Date((t += 1000)));
    const runner = new OperationRunner(deps, { callbackDue: false });
    const run = async (event: string, facts: Record<string, unknown>) => {
      const answer = await h.hook(event, facts);
      assert.equal(answer.status, 202, JSON.stringify(answer.body));
      assert.equal(await runner.run(answer.body.operationId), 'succeeded');
      return answer.body.operationId as string;
    };
    const paidUntil = paidUntilIn(300);
    await run('open', openFacts('stamp-first', { period: 12, paidUntil }));
    await run('close', { id: 'stamp-first', paidUntil });
    const reuse = await run('open', openFacts('stamp-second', { period: 12, paidUntil: paidUntilIn(200) }));

    const actions = await deps.upstreamActions.listByOperation(reuse);
    const settledAt = (kind: string) => actions.find((a) => a.kind === kind && a.state === 'done')?.updatedAt;
    const license = await h.service.db('licenses').where({ service_id: 'stamp-second' }).first();
    assert.ok(license, 'the reused license is bound');
    assert.ok(settledAt('change_ip'), 'the IP was changed');
    assert.equal(license.ip_changed_at, settledAt('change_ip'));
    assert.equal(license.key_regenerated_at, settledAt('regenerate_key'));
    await h.assertInvariants();
  });
});
