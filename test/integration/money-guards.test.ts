import assert from 'node:assert/strict';
import { addMonths } from '../../src/domain/lifecycle';
import { OperationRunner } from '../../src/lifecycle/operation-runner';
import { lifecycleDepsFor } from '../helpers/lifecycle-deps';
import { DAY_MS, fastWorkerSettings, openFacts, paidUntilIn, startHarness, type Harness } from '../helpers/lifecycle';

/** SPEC.md "Money guards": a bound on `paidUntil`, a renewal limit per operation, a daily cap on paid calls. */
describe('money guards', function () {
  this.timeout(90_000);
  let h: Harness | undefined;
  const lifecycle = (overrides: Record<string, number>) => ({
    lifecycle: { ...fastWorkerSettings('unused').lifecycle, ...overrides },
  });
  const paidCalls = () =>
    h!.sandbox.calls().filter((c) => ['soft.order.param', 'service.prolong'].includes(c.func) && c.performed);

  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  describe('paidUntil at the door', () => {
    const counts = async () => {
      const db = h!.service.database.db;
      const rows = await Promise.all(['operations', 'hook_events', 'services'].map((t) => db(t).count({ n: '*' })));
      return rows.map(([row]) => Number(row?.n));
    };

    it('more than lifecycle.maxPaidAheadMonths ahead is 422 invalid_service on every event, nothing recorded', async () => {
      h = await startHarness({ role: 'api' });
      const farAhead = new Date(addMonths(new Date(), 36).getTime() + DAY_MS).toISOString();
      const before = await counts();
      for (const [event, facts] of [
        ['open', openFacts('far-open', { paidUntil: farAhead })],
        ['prolong', { id: 'far-prolong', paidUntil: farAhead }],
        ['close', { id: 'far-close', paidUntil: '2999-01-01T00:00:00Z' }],
      ] as const) {
        const answer = await h.hook(event, facts);
        assert.equal(answer.status, 422, `${event}: ${JSON.stringify(answer.body)}`);
        assert.equal(answer.body.error.code, 'invalid_service');
        assert.match(answer.body.error.message, /maxPaidAheadMonths/);
      }
      assert.deepEqual(await counts(), before, 'no operation, hook event or service recorded');
      const within = await h.hook('open', openFacts('near-open', { paidUntil: paidUntilIn(35 * 30) }));
      assert.equal(within.status, 202, 'a paidUntil within the bound is accepted');
    });

    it('the bound follows the configuration', async () => {
      h = await startHarness({ role: 'api', config: lifecycle({ maxPaidAheadMonths: 2 }) });
      assert.equal((await h.hook('prolong', { id: 'p', paidUntil: paidUntilIn(75) })).status, 422);
      assert.equal((await h.hook('prolong', { id: 'p', paidUntil: paidUntilIn(50) })).status, 202);
    });
  });

  it('a prolong needing more renewals than the limit fails once for a person, before anything is paid', async () => {
    h = await startHarness({ config: lifecycle({ maxRenewalsPerOperation: 1 }) });
    const opened = await h.run('open', openFacts('many', { period: 1, paidUntil: paidUntilIn(30) }));
    assert.equal(opened.status, 'succeeded', JSON.stringify(opened.error));
    const balance = h.sandbox.balance();
    const paidBefore = paidCalls().length;
    // A yearly license (rule 1 → 12): 30 months ahead needs two renewals; the limit is one.
    const op = await h.run('prolong', { id: 'many', paidUntil: paidUntilIn(30 * 30), period: 1 });
    assert.equal(op.status, 'failed', JSON.stringify(op));
    assert.equal(op.error.code, 'renewal_limit');
    assert.equal(op.attempts, 1, 'never retried blindly');
    await new Promise((r) => setTimeout(r, 500));
    const later = (await h.service.request('GET', `/v1/operations/${op.id}`)).body;
    assert.deepEqual([later.status, later.attempts], ['failed', 1]);
    assert.equal(paidCalls().length, paidBefore, 'no renewal made');
    assert.equal(h.sandbox.balance(), balance, 'nothing charged');
    // Within the limit the same kind of prolong goes through (on another service: a failed operation holds back
    // the later ones of its own service until a person acts).
    assert.equal(
      (await h.run('open', openFacts('few', { period: 1, paidUntil: paidUntilIn(30) }))).status,
      'succeeded',
    );
    const renewalsBefore = paidCalls().filter((c) => c.func === 'service.prolong').length;
    const near = await h.run('prolong', { id: 'few', paidUntil: paidUntilIn(20 * 30), period: 1 });
    assert.equal(near.status, 'succeeded', JSON.stringify(near.error));
    assert.equal(paidCalls().filter((c) => c.func === 'service.prolong').length, renewalsBefore + 1);
  });

  it('past the daily cap an order waits with spend_limit, charging nothing; a raised cap and a retry order it', async () => {
    h = await startHarness({ role: 'api', config: lifecycle({ maxPaidCallsPerDay: 1 }) });
    const deps = lifecycleDepsFor(h.service);
    const runOnce = async (operationId: string, runner = new OperationRunner(deps, { callbackDue: false })) => {
      await runner.run(operationId);
      return (await h!.service.request('GET', `/v1/operations/${operationId}`)).body;
    };
    const first = (await h.hook('open', openFacts('cap-1'))).body.operationId;
    assert.equal((await runOnce(first)).status, 'succeeded');
    const balance = h.sandbox.balance();
    const callsBefore = h.sandbox.calls().length;

    const second = (await h.hook('open', openFacts('cap-2'))).body.operationId;
    const waiting = await runOnce(second);
    assert.equal(waiting.status, 'waiting', JSON.stringify(waiting));
    assert.equal(waiting.error.code, 'spend_limit');
    const midnight = new Date(new Date().toISOString().slice(0, 10) + 'T00:00:00.000Z').getTime() + DAY_MS;
    assert.equal(new Date(waiting.notBefore).getTime(), midnight, 'waits for the next UTC day');
    assert.equal(h.sandbox.calls().length, callsBefore, 'no upstream call at all');
    assert.equal(h.sandbox.balance(), balance, 'nothing charged');
    assert.equal(await h.service.database.db('upstream_actions').where({ operation_id: second }).first(), undefined);

    // The same cap again: still waiting. A worker configured with a raised cap, after a person's retry: ordered.
    assert.equal((await h.service.request('POST', `/v1/admin/operations/${second}/retry`)).status, 202);
    assert.equal((await runOnce(second)).error?.code, 'spend_limit');
    assert.equal(h.sandbox.calls().length, callsBefore);
    const raised = { ...deps, settings: { ...deps.settings, maxPaidCallsPerDay: 2 } };
    assert.equal((await h.service.request('POST', `/v1/admin/operations/${second}/retry`)).status, 202);
    const done = await runOnce(second, new OperationRunner(raised, { callbackDue: false }));
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.equal(h.ordersByOperation().get(second), 1);
    assert.equal(await h.service.stores.spendCounters.paidCalls('isp', new Date()), 2);
  });

  it('an order looked up after a lost request and made again counts once against the cap', async () => {
    h = await startHarness({ config: lifecycle({ maxPaidCallsPerDay: 1 }) });
    h.sandbox.armFault({ kind: 'drop', func: 'soft.order.param' });
    const op = await h.run('open', openFacts('dropped'), ['succeeded', 'failed']);
    assert.equal(op.status, 'succeeded', JSON.stringify(op));
    assert.equal(h.ordersByOperation().get(op.id), 1);
    assert.equal(await h.service.stores.spendCounters.paidCalls('isp', new Date()), 1);
  });

  it('the daily count is race-free: of 12 concurrent paid calls against a cap of 5, exactly 5 are counted', async () => {
    h = await startHarness({ role: 'api' });
    const { db, stores } = h.service;
    const now = new Date();
    const counted = await Promise.all(
      Array.from({ length: 12 }, () => db.transaction((trx) => stores.spendCounters.countPaidCall('isp', now, 5, trx))),
    );
    assert.equal(counted.filter(Boolean).length, 5);
    assert.equal(await stores.spendCounters.paidCalls('isp', now), 5);
    assert.equal(await stores.spendCounters.paidCalls('isp', new Date(now.getTime() + DAY_MS)), 0, 'per UTC day');
  });
});
