import assert from 'node:assert/strict';
import { CatalogCache } from '../../src/lifecycle/catalog-cache';
import type { LifecycleDeps } from '../../src/lifecycle/lifecycle-deps';
import { OperationRunner } from '../../src/lifecycle/operation-runner';
import { openFacts, paidUntilIn, startHarness, type Harness } from '../helpers/lifecycle';
import { lifecycleDepsFor } from '../helpers/lifecycle-deps';
import { countStatements, type StatementTally } from '../helpers/statement-count';

/**
 * What one `open` costs the worker in SQL (issue 12, item 2): statements and commits from the claim to `succeeded`,
 * by order and from the pool. Counts, not timings: the same path sends the same statements every run. The bounds are
 * what the worker path reaches now; a change that adds a statement to it has to say why here.
 */
describe('statements and commits per open, worker side', function () {
  this.timeout(60_000);
  let h: Harness;
  let runner: OperationRunner;
  const verbose = process.env.TEST_PRINT_STATEMENTS === '1';

  before(async () => {
    h = await startHarness({ role: 'api' });
    // The catalog reads through a cache, as src/service.ts builds the worker's dependencies.
    const cache = new CatalogCache(h.service.stores, 60_000);
    const deps: LifecycleDeps = {
      ...lifecycleDepsFor(h.service),
      licensingServers: cache.licensingServers,
      tariffPlans: cache.tariffPlans,
      enumerations: cache.enumerations,
      periodComparisons: cache.periodComparisons,
    };
    runner = new OperationRunner(deps, { callbackDue: false });
    // Warms the catalog cache, the module's session and the alert view: what a running worker already holds.
    assert.equal(await runOne('open', openFacts('warm-up', { period: 12, paidUntil: paidUntilIn(300) })), 'succeeded');
  });
  after(async () => {
    await h.close();
  });

  /** Sends a hook, then runs its operation once in this process; the relay's pass beside it is not counted. */
  async function runOne(event: string, facts: Record<string, unknown>, tally?: (t: StatementTally) => void) {
    const answer = await h.hook(event, facts);
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    const counter = countStatements(h.service.db, (s) => s.frames.some((f) => f.startsWith('Relay.')));
    const verdict = await runner.run(answer.body.operationId);
    const counted = counter.stop();
    if (verbose) console.log(`${event} ${String(facts.id)}: ${counted.describe()}`);
    tally?.(counted);
    return verdict;
  }

  it('an open served by an order', async () => {
    let counted: StatementTally | undefined;
    const verdict = await runOne('open', openFacts('by-order', { period: 12, paidUntil: paidUntilIn(300) }), (t) => {
      counted = t;
    });
    assert.equal(verdict, 'succeeded');
    const claims = counted!.statements.filter((s) => s.place.startsWith('KnexOperationStore.claim'));
    assert.equal(claims.length, 1, 'claim and lease in one statement');
    assert.match(counted!.statements[counted!.statements.indexOf(claims[0]!) - 1]!.sql, /^begin/i, 'claimed first');
    const paidCallCheckpoint = counted!.statements.findIndex((s) => s.place.startsWith('KnexSpendCounterStore'));
    assert.ok(paidCallCheckpoint > 0, 'the paid call was counted in its checkpoint');
    assert.ok(
      !counted!.statements
        .slice(counted!.statements.indexOf(claims[0]!), paidCallCheckpoint)
        .some((s) => /^\s*commit/i.test(s.sql)),
      'the claim commits with the checkpoint before the paid call',
    );
    assert.equal(counted!.byPlace().find(([place]) => place.startsWith('KnexUpstreamActionStore.get'))?.[1], undefined);
    assertLean(counted!);
    assert.ok(counted!.work <= 17, `at most 17 statements (was 30 before issue 12), got ${counted!.work}`);
    assert.ok(
      counted!.commits <= 2,
      `at most 2 commits (the claim with the paid call's checkpoint, its result with the outcome), got ${counted!.commits}`,
    );
    await h.assertInvariants();
  });

  it('an open served from the pool', async () => {
    const paidUntil = paidUntilIn(300);
    assert.equal(await runOne('open', openFacts('pooled', { period: 12, paidUntil })), 'succeeded');
    const pooled = (await h.service.request('GET', '/v1/services/pooled')).body.license.upstreamId;
    assert.equal(await runOne('close', { id: 'pooled', paidUntil }), 'succeeded');
    let counted: StatementTally | undefined;
    const verdict = await runOne('open', openFacts('from-pool', { period: 12, paidUntil: paidUntilIn(200) }), (t) => {
      counted = t;
    });
    assert.equal(verdict, 'succeeded');
    const reused = await h.service.request('GET', '/v1/services/from-pool');
    assert.equal(reused.body.license?.upstreamId, pooled, 'the pooled license was reused');
    assertLean(counted!);
    assert.ok(counted!.work <= 28, `at most 28 statements (was 60 before issue 12), got ${counted!.work}`);
    assert.ok(counted!.commits <= 5, `at most 5 commits (was 12 before issue 12), got ${counted!.commits}`);
    await h.assertInvariants();
  });

  /**
   * What the lean path never does: commit the claim on its own (it goes with the attempt's first writes), read a
   * license back after moving it (the move returns what it wrote), read the lease before an upstream call (the
   * attempt's own clock tells), or commit a read's facts on their own (they ride with the next commit).
   */
  function assertLean(counted: StatementTally) {
    const sql = counted.statements.map((s) => s.sql);
    assert.equal(counted.autocommits, 0, 'no write commits on its own');
    const readBack = sql.filter((s) => /^select \* from [`"]licenses[`"] where [`"]id[`"] = /i.test(s));
    assert.deepEqual(readBack, [], 'no license read back by id');
    const operationReads = sql.filter((s) => /^select .* from [`"]operations[`"]/i.test(s));
    assert.equal(operationReads.length, 1, 'the operation is read once, to start; its lease never');
    assert.equal(sql.indexOf(operationReads[0]!), 0, 'the read that starts the attempt');
    const factsAlone = counted.statements.filter(
      (s, i) =>
        s.place.startsWith('KnexLicenseStore.recordUpstreamFacts') &&
        /^\s*commit/i.test(counted.statements[i + 1]?.sql ?? '') &&
        /^\s*(begin|update `operations` set `updated_at`)/i.test(counted.statements[i - 1]?.sql ?? ''),
    );
    assert.deepEqual(factsAlone, [], 'no transaction that only records what a read said');
  }
});
