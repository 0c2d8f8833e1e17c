import assert from 'node:assert/strict';
import type { SandboxCall, SandboxHandle } from '../../src/sandbox/server';
import { openFacts, paidUntilIn, startHarness, type Harness } from '../helpers/lifecycle';

/**
 * A paid call's read-back is a step of its own (issue 8, item 4): whatever fails after an order or a renewal was
 * made leaves that call known-done, never a failed operation with the paid license forgotten or paid again. A license
 * the upstream is still processing makes the operation wait (`upstream_processing`), with back-off.
 */
describe('paid calls: read-back and an upstream still processing', function () {
  this.timeout(60_000);
  let h: Harness;
  /** Called after every sandbox API call; a test sets it to arm a fault at the right moment. */
  let afterCall: ((call: SandboxCall, sandbox: SandboxHandle) => void) | null = null;

  beforeEach(async () => {
    afterCall = null;
    h = await startHarness({ sandbox: { onCall: (call) => afterCall?.(call, h.sandbox) } });
  });
  afterEach(async () => {
    await h.close();
  });

  const performed = (func: string) => h.sandbox.calls().filter((c) => c.func === func && c.performed);
  const license = async (serviceId: string) =>
    (await h.service.request('GET', `/v1/services/${serviceId}`)).body.license;

  it('a refused read after an order: one order, the operation not failed, the license read on the next attempt', async () => {
    const balance = h.sandbox.balance();
    h.sandbox.armFault({ kind: 'error', func: 'soft.edit', type: 'access', message: 'refused once' });
    const op = await h.run('open', openFacts('read-back'), ['succeeded', 'failed']);
    assert.equal(op.status, 'succeeded', JSON.stringify(op));
    assert.ok(op.attempts >= 2, 'the read was tried again on a later attempt');
    assert.equal(h.ordersByOperation().get(op.id), 1, 'one order');
    const [upstream] = h.sandbox.licenses();
    assert.equal(h.sandbox.licenses().length, 1);
    const bound = await license('read-back');
    assert.equal(bound.upstreamId, upstream!.id);
    assert.equal(bound.activationKey, upstream!.lickey, 'the key read back');
    assert.ok(balance - h.sandbox.balance() > 0, 'paid once');
    await h.assertInvariants();
  });

  it('a refused read after a renewal: the renewal is recorded done and never paid twice', async () => {
    const opened = await h.run('open', openFacts('renewed', { period: 1, paidUntil: paidUntilIn(30) }));
    assert.equal(opened.status, 'succeeded', JSON.stringify(opened.error));
    // The read right after the renewal is refused (the read before it went through).
    afterCall = (call, sandbox) => {
      if (call.func !== 'service.prolong' || !call.performed) return;
      afterCall = null;
      sandbox.armFault({ kind: 'error', func: 'soft.edit', type: 'access', message: 'refused once' });
    };
    const target = paidUntilIn(500);
    const op = await h.run('prolong', { id: 'renewed', paidUntil: target, period: 1 }, ['succeeded', 'failed']);
    assert.equal(op.status, 'succeeded', JSON.stringify(op));
    assert.ok(op.attempts >= 2, 'the refused read-back was tried again');
    assert.equal(performed('service.prolong').length, 1, 'renewed once');
    const actions = await h.service.database.db('upstream_actions').where({ operation_id: op.id, kind: 'prolong' });
    assert.deepEqual(
      actions.map((a: { state: string }) => a.state),
      ['done'],
    );
    assert.ok(new Date((await license('renewed')).paidUntil) >= new Date(target));
    await h.assertInvariants();
  });

  it('an ordered license still processing upstream: the operation waits with upstream_processing, then binds it', async () => {
    h.sandbox.setOrderProcessing(10 * 60_000);
    const before = Date.now();
    const waiting = await h.run('open', openFacts('slow'), ['waiting', 'failed', 'succeeded']);
    assert.equal(waiting.status, 'waiting', JSON.stringify(waiting));
    assert.equal(waiting.error.code, 'upstream_processing');
    const waitMs = new Date(waiting.notBefore).getTime() - before;
    assert.ok(waitMs >= 55_000 && waitMs <= 65_000, `waits about a minute first (${waitMs} ms)`);
    assert.equal(waiting.attempts, 1, 'not tried again every few seconds');
    assert.equal(h.ordersByOperation().get(waiting.id), 1);
    assert.equal(performed('service.prolong').length, 0, 'nothing renewed while processing');

    h.sandbox.clock.advance(11 * 60_000);
    assert.equal((await h.service.request('POST', `/v1/admin/operations/${waiting.id}/retry`)).status, 202);
    const op = await h.settled(waiting.id, ['succeeded', 'failed']);
    assert.equal(op.status, 'succeeded', JSON.stringify(op));
    assert.equal(h.ordersByOperation().get(op.id), 1, 'still one order');
    const bound = await license('slow');
    assert.equal(bound.status, 'active');
    assert.equal(bound.activationKey, h.sandbox.licenses()[0]!.lickey);
    await h.assertInvariants();
  });
});
