import assert from 'node:assert/strict';
import fs from 'node:fs';
import { openFacts, paidUntilIn, startHarness, type Harness } from '../helpers/lifecycle';
import { makeWorkerDir, spawnWorker, writeWorkerConfig, type WorkerProcess } from '../helpers/worker-process';

/**
 * A worker PROCESS killed with SIGKILL at a scripted point (`LICENSE_MODULE_CRASH_AT`, src/lifecycle/crash-points.ts)
 * and then replaced by a fresh worker process must not order twice. The test process runs the sandbox and an
 * API-only service (intake, relay, reads); the workers are separate `src/index.ts --role worker` processes on the
 * same database and Redis. The second worker takes over once the first one's lease (`worker.leaseMs`, 3 s here)
 * has passed, and looks up an order whose outcome is unknown once `reconcileDelayMs` (300 ms) has passed.
 */
describe('a worker process killed at a crash point, then restarted', function () {
  this.timeout(90_000);
  let h: Harness;
  let dir: string;
  let configFile: string;
  const workers: WorkerProcess[] = [];

  beforeEach(async () => {
    h = await startHarness({ role: 'api' });
    dir = makeWorkerDir();
    configFile = writeWorkerConfig(h.service.config, dir);
  });

  afterEach(async function () {
    const failed = this.currentTest?.state === 'failed';
    for (const worker of workers.splice(0)) {
      if (failed) console.error(`--- worker ${worker.child.pid} output ---\n${worker.output()}`);
      await worker.stop();
    }
    await h.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function startWorker(crashAt?: string): WorkerProcess {
    const worker = spawnWorker(configFile, { crashAt });
    workers.push(worker);
    return worker;
  }

  /** Sends the open hook to a worker that crashes at `crashAt`; resolves once it died of SIGKILL. */
  async function openAndCrash(serviceId: string, crashAt: string, overrides: Record<string, unknown> = {}) {
    const facts = openFacts(serviceId, overrides);
    const crashing = startWorker(crashAt);
    const answer = await h.hook('open', facts);
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    const exit = await crashing.waitForExit(45_000);
    assert.equal(exit.signal, 'SIGKILL', `worker exited with ${JSON.stringify(exit)}:\n${crashing.output()}`);
    assert.match(crashing.output(), new RegExp(`crash point reached: ${crashAt}`));
    return { facts, operationId: answer.body.operationId as string };
  }

  async function orderActions(operationId: string) {
    return (await h.service.database
      .db('upstream_actions')
      .where({ operation_id: operationId, kind: 'order' })
      .select('reference', 'state')) as Array<{ reference: string; state: string }>;
  }

  async function operationRow(operationId: string) {
    return (await h.service.database.db('operations').where({ id: operationId }).first()) as {
      status: string;
      attempts: number;
      lease_owner: string | null;
    };
  }

  /** Starts a worker without a crash point and waits for the operation to succeed. */
  async function restartAndSettle(operationId: string) {
    startWorker();
    const op = await h.settled(operationId, ['succeeded', 'failed'], 45_000);
    assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
    return op;
  }

  /**
   * Restarts, waits for the operation, and checks that it ordered exactly once and bound that license to the
   * service. The result's `source` is checked last, after the money rules and invariants.
   */
  async function restartAndFinish(operationId: string, facts: Record<string, unknown>) {
    const op = await restartAndSettle(operationId);
    assert.equal(h.ordersByOperation().get(operationId), 1, 'exactly one order upstream for the operation');
    const upstreamOrders = h.sandbox.licenses().filter((l) => l.remoteid.startsWith(`${operationId}.order.`));
    assert.equal(upstreamOrders.length, 1, 'one license upstream carries the operation reference');
    const { body } = await h.service.request('GET', `/v1/services/${facts.id as string}`);
    assert.equal(body.license?.upstreamId, upstreamOrders[0]!.id, 'the ordered license is bound to the service');
    assert.equal(body.license.ip, facts.ip);
    assert.equal(body.license.status, 'active');
    assert.equal(body.service.status, 'active');
    assert.equal(op.result.upstreamId, upstreamOrders[0]!.id);
    assert.equal(
      (await h.service.database.db('licenses').count<Array<{ n: number | string }>>({ n: '*' }))[0]!.n.toString(),
      '1',
      'one license known locally',
    );
    await h.assertInvariants();
    assert.equal(op.result.source, 'order', 'the operation reports that it ordered the license');
    return op;
  }

  it('after-call:order — the sandbox took and charged the order, the database never heard of it: found, not repeated', async () => {
    const balanceBefore = h.sandbox.balance();
    const { facts, operationId } = await openAndCrash('vps-crash-after-order', 'after-call:order');

    // The upstream performed (and charged) the order; locally only the `intended` checkpoint exists.
    assert.equal(h.ordersByOperation().get(operationId), 1, 'the sandbox performed the order');
    assert.ok(h.sandbox.balance() < balanceBefore, 'the order was charged');
    assert.deepEqual(
      (await orderActions(operationId)).map((a) => a.state),
      ['intended'],
    );
    assert.equal((await operationRow(operationId)).status, 'running', 'left running under a dead lease');
    assert.equal((await h.service.database.db('licenses').select('id')).length, 0, 'no license row yet');

    const op = await restartAndFinish(operationId, facts);
    assert.deepEqual(
      (await orderActions(operationId)).map((a) => a.state),
      ['done'],
    );
    assert.ok(op.attempts >= 2, `the second worker made a new attempt (attempts ${op.attempts})`);
    const reconciled = h.sandbox.calls().filter((c) => c.func === 'soft');
    assert.ok(reconciled.length >= 1, 'the unknown outcome was looked up in the license list');
  });

  it('before-call:order — the checkpoint is committed but no call was made: the order is made once', async () => {
    const { facts, operationId } = await openAndCrash('vps-crash-before-order', 'before-call:order');

    assert.equal(h.ordersByOperation().get(operationId), undefined, 'no order reached the sandbox');
    assert.equal(h.sandbox.calls().filter((c) => c.func === 'soft.order.param').length, 0);
    assert.deepEqual(
      (await orderActions(operationId)).map((a) => a.state),
      ['intended'],
    );
    assert.equal((await operationRow(operationId)).status, 'running');

    await restartAndFinish(operationId, facts);
    // The lookup found nothing, so the same checkpoint (same reference) was used for the one real order.
    const actions = await orderActions(operationId);
    assert.deepEqual(
      actions.map((a) => a.state),
      ['done'],
    );
    const order = h.sandbox.calls().find((c) => c.func === 'soft.order.param' && c.performed)!;
    assert.equal(order.params.remoteid, actions[0]!.reference, 'the order carried the checkpoint reference');
  });

  it('after-commit:open — the outcome is committed, the queue job not completed: nothing is done again', async () => {
    const { facts, operationId } = await openAndCrash('vps-crash-after-commit', 'after-commit:open');

    const row = await operationRow(operationId);
    assert.equal(row.status, 'succeeded', 'the outcome was committed before the crash');
    assert.equal(row.lease_owner, null);
    assert.equal(h.ordersByOperation().get(operationId), 1);
    const callsBefore = h.sandbox.calls().length;

    const op = await restartAndFinish(operationId, facts);
    assert.equal(op.attempts, 1, 'the settled operation was not run again');
    // The service is not stuck behind the crashed job: its next operation runs on the new worker.
    const suspended = await h.run('suspend', { id: facts.id }, ['succeeded', 'failed']);
    assert.equal(suspended.status, 'succeeded', JSON.stringify(suspended.error));
    const newCalls = h.sandbox.calls().slice(callsBefore);
    assert.equal(newCalls.filter((c) => c.func === 'soft.order.param').length, 0, 'no order after the restart');
    assert.equal(h.ordersByOperation().get(operationId), 1);
    await h.assertInvariants();
  });

  it('after-call:prolong — the renewal was made and charged, not recorded: found, not paid twice', async () => {
    // Paid for 500 days on a yearly plan: the open orders 12 months, then renews once by 12 to cover the service.
    const { facts, operationId } = await openAndCrash('vps-crash-after-prolong', 'after-call:prolong', {
      period: 12,
      paidUntil: paidUntilIn(500),
    });
    const prolongs = () => h.sandbox.calls().filter((c) => c.func === 'service.prolong' && c.outcome === 'ok');
    assert.equal(prolongs().length, 1, 'the sandbox renewed the license');
    const actions = (await h.service.database
      .db('upstream_actions')
      .where({ operation_id: operationId })
      .select('kind', 'state')) as Array<{ kind: string; state: string }>;
    assert.deepEqual(actions.map((a) => `${a.kind}:${a.state}`).sort(), ['order:done', 'prolong:intended']);

    await restartAndFinish(operationId, facts);
    assert.equal(prolongs().length, 1, 'renewed once, not twice');
    const { body } = await h.service.request('GET', `/v1/services/${facts.id as string}`);
    assert.ok(new Date(body.license.paidUntil) >= new Date(facts.paidUntil as string), 'covers the service');
  });

  it('after-call:change_ip during a pool reuse — the retry finishes the reuse: new key, resumed, nothing ordered', async () => {
    // A license in the pool (suspended upstream while it waits), made by a worker that does not crash.
    const setup = startWorker();
    const previous = await h.run('open', openFacts('vps-pool-old'), ['succeeded', 'failed']);
    assert.equal(previous.status, 'succeeded', JSON.stringify(previous.error));
    assert.equal((await h.run('close', { id: 'vps-pool-old' }, ['succeeded', 'failed'])).status, 'succeeded');
    await setup.stop();
    const upstreamId = previous.result.upstreamId as string;
    const upstream = () => h.sandbox.licenses().find((l) => l.id === upstreamId)!;
    assert.equal(upstream().status, 3, 'suspended while pooled');
    const previousKey = upstream().lickey;

    // The next open takes it from the pool; the worker dies right after the upstream applied the new IP.
    const { facts, operationId } = await openAndCrash('vps-pool-new', 'after-call:change_ip');
    assert.notEqual(facts.ip, openFacts('vps-pool-old').ip, 'reuse needs an IP change');
    assert.equal(upstream().ip, facts.ip, 'the sandbox applied the IP change');
    const reserved = await h.service.database.db('licenses').where({ upstream_id: upstreamId }).first();
    assert.equal(reserved.state, 'reserved');
    assert.equal(reserved.operation_id, operationId);

    const op = await restartAndSettle(operationId);
    assert.equal(h.ordersByOperation().get(operationId), undefined, 'nothing ordered: the pooled license was reused');
    const { body } = await h.service.request('GET', '/v1/services/vps-pool-new');
    assert.equal(body.license?.upstreamId, upstreamId, 'the pooled license is bound to the new service');
    // The reuse must be finished by the retry: the previous holder's key stops working, the license is resumed.
    assert.notEqual(upstream().lickey, previousKey, 'the activation key was regenerated');
    assert.equal(body.license.activationKey, upstream().lickey);
    assert.equal(upstream().status, 2, 'active upstream');
    assert.equal(body.license.status, 'active');
    assert.equal(upstream().ip, facts.ip);
    assert.equal(upstream().licname, body.license.name);
    await h.assertInvariants();
    assert.equal(op.result.source, 'pool', 'the operation reports that it reused a pooled license');
  });
});
