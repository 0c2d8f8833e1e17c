import assert from 'node:assert/strict';
import { OperationRunner } from '../../src/lifecycle/operation-runner';
import { lifecycleDepsFor } from '../helpers/lifecycle-deps';
import { openFacts, paidUntilIn, startHarness, type Harness } from '../helpers/lifecycle';

/**
 * An attempt reads its operation, then claims it in its first commit (issue 12). The claim compares the lease
 * version it read: a claim made on reads that a lease holder's later write made stale must lose, and an attempt whose
 * claim loses has written nothing and called nothing upstream.
 */
describe('the claim in the attempt’s first commit', function () {
  this.timeout(30_000);
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness({ role: 'api' });
  });
  afterEach(async () => {
    await h.close();
  });

  const queued = async (serviceId: string) => {
    const answer = await h.hook('open', openFacts(serviceId, { period: 12, paidUntil: paidUntilIn(300) }));
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    return answer.body.operationId as string;
  };

  it('two runners on one operation: one succeeds, the other ends `skipped` having written nothing; one order', async () => {
    const id = await queued('vps-twice');
    const deps = lifecycleDepsFor(h.service);
    const runners = [0, 1].map(() => new OperationRunner(deps, { callbackDue: false }));
    const verdicts = await Promise.all(runners.map((runner) => runner.run(id)));
    assert.deepEqual([...verdicts].sort(), ['skipped', 'succeeded']);
    assert.equal(h.ordersByOperation().get(id), 1, 'one order');
    const op = await deps.operations.get(id);
    assert.equal(op?.attempts, 1, 'one attempt was claimed');
    const actions = await deps.upstreamActions.listByOperation(id);
    assert.deepEqual(
      actions.map((a) => [a.kind, a.state]),
      [['order', 'done']],
      'the losing runner recorded no action',
    );
    await h.assertInvariants();
  });

  it('a claim on a read older than a lease holder’s write loses; one on a fresh read wins', async () => {
    const id = await queued('vps-stale');
    const deps = lifecycleDepsFor(h.service);
    const seen = (await deps.operations.get(id))!;
    // Another worker claims, writes under its lease, and ends its attempt to be tried again at once.
    assert.ok(await deps.operations.claim(id, 'worker-a', 5_000, deps.now()));
    await deps.db.transaction((trx) => deps.operations.assertLease(id, 'worker-a', deps.now(), trx));
    await deps.db.transaction((trx) =>
      deps.operations.finishAttempt(
        id,
        'worker-a',
        { status: 'queued', error: null, notBefore: new Date(Date.now() - 1000) },
        deps.now(),
        false,
        trx,
      ),
    );
    const afterA = (await deps.operations.get(id))!;
    assert.equal(afterA.status, 'queued', 'claimable again, as it was when read');
    assert.equal(afterA.attempts, seen.attempts + 1);
    const claimOn = (read: typeof seen) =>
      deps.db.transaction((trx) => deps.operations.claimSeen(read, 'worker-b', 5_000, deps.now(), trx));
    assert.equal(await claimOn(seen), false, 'the read from before worker A’s attempt is stale');
    assert.equal(await claimOn(afterA), true, 'a read from after it wins');
  });

  it('a renewal by a holder whose lease had passed makes an earlier read stale', async () => {
    const id = await queued('vps-revived');
    const deps = lifecycleDepsFor(h.service);
    assert.ok(await deps.operations.claim(id, 'worker-a', 200, deps.now()));
    await new Promise((resolve) => setTimeout(resolve, 400));
    // Worker B reads while A's lease has passed; A wakes and renews before B claims.
    const seen = (await deps.operations.get(id))!;
    assert.equal(seen.status, 'running');
    assert.equal(await deps.operations.renewLease(id, 'worker-a', 200), true);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const claimed = await deps.db.transaction((trx) =>
      deps.operations.claimSeen(seen, 'worker-b', 5_000, deps.now(), trx),
    );
    assert.equal(claimed, false, 'A wrote (renewed) since B read: B’s reads may miss what A did');
  });
});
