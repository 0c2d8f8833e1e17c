import assert from 'node:assert/strict';
import type { SandboxCall } from '../../src/sandbox/types';
import { openFacts, paidUntilIn, startHarness, type Harness } from '../helpers/lifecycle';

/**
 * Upstream calls per event at the API's minimum (issue 12): an order is the order and one read for the key; a pool
 * reuse sets IP and name in one `soft.edit`, regenerates the key, reads it and resumes; a prolong that needs no
 * renewal calls nothing; a close reads the license and pools or deletes it. Counts are deterministic, so they are
 * asserted; the session login (`func=auth`) is transport, not a call of the event, and is left out.
 */
describe('upstream calls per event', function () {
  this.timeout(60_000);
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  /** The API calls `event` made, as `func` (with `newkey` / `ip` / `licname` when a `soft.edit` wrote them). */
  async function callsOf(event: string, facts: Record<string, unknown>): Promise<string[]> {
    const before = h.sandbox.calls().length;
    const op = await h.run(event, facts);
    assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
    return h.sandbox
      .calls()
      .slice(before)
      .filter((call) => call.func !== 'auth')
      .map(describeCall);
  }

  it('open by order: 2 (order, read for the key)', async () => {
    const calls = await callsOf('open', openFacts('vps-count-order'));
    assert.deepEqual(calls, ['soft.order.param', 'soft.edit']);
  });

  it('prolong that needs no renewal: 0', async () => {
    await callsOf('open', openFacts('vps-count-prolong'));
    assert.deepEqual(await callsOf('prolong', { id: 'vps-count-prolong', paidUntil: paidUntilIn(60) }), []);
  });

  it('close to the pool: at most 2 (read, suspend)', async () => {
    await callsOf('open', openFacts('vps-count-close'));
    const calls = await callsOf('close', { id: 'vps-count-close' });
    assert.ok(calls.length <= 2, `close made ${calls.length} calls: ${calls.join(', ')}`);
    assert.deepEqual(calls, ['soft.edit', 'soft.suspend']);
  });

  it('close that deletes: at most 2 (read, delete)', async () => {
    await callsOf('open', openFacts('vps-count-delete'));
    // Paid further than the license: nothing is left to pool.
    const calls = await callsOf('close', { id: 'vps-count-delete', paidUntil: paidUntilIn(400) });
    assert.deepEqual(calls, ['soft.edit', 'soft.delete']);
  });

  it('setparam with a new IP and name: 1 (one edit for both)', async () => {
    await callsOf('open', openFacts('vps-count-move'));
    const moved = { id: 'vps-count-move', ip: '198.51.100.77', name: 'moved.example.net' };
    assert.deepEqual(await callsOf('setparam', moved), ['soft.edit ip licname']);
    const { body } = await h.service.request('GET', '/v1/services/vps-count-move');
    const upstream = h.sandbox.licenses().find((l) => l.id === body.license.upstreamId)!;
    assert.equal(upstream.ip, moved.ip);
    assert.match(upstream.licname, /moved/);
  });

  it('open from the pool: at most 4 (edit IP and name, new key, read, resume)', async () => {
    await callsOf('open', openFacts('vps-count-old'));
    await callsOf('close', { id: 'vps-count-old' });
    const calls = await callsOf('open', openFacts('vps-count-new'));
    assert.ok(calls.length <= 4, `a pool reuse made ${calls.length} calls: ${calls.join(', ')}`);
    assert.deepEqual(calls, ['soft.edit ip licname', 'soft.edit newkey', 'soft.edit', 'soft.resume']);
    await h.assertInvariants();
  });
});

function describeCall(call: SandboxCall): string {
  if (call.func !== 'soft.edit' || call.params.sok !== 'ok') return call.func;
  const written = [
    ...(call.params.ip !== undefined ? ['ip'] : []),
    ...(call.params.licname !== undefined ? ['licname'] : []),
    ...(call.params.clicked_button === 'newkey' ? ['newkey'] : []),
  ];
  return [call.func, ...written].join(' ');
}
