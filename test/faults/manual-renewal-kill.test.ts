import assert from 'node:assert/strict';
import { startHarness, type Harness } from '../helpers/lifecycle';
import { checkMoneyRules } from './support/money-checker';
import { succeeded, succeededOrDiagnose } from './support/fault-helpers';
import { ServiceProcesses } from './support/service-processes';

/**
 * A manual renewal (`POST /v1/admin/licenses/{id}/actions` `renew`) is checkpointed like a hook's: its worker
 * PROCESS SIGKILLed right after the paid call (`after-call:prolong`), before the database heard of it, leaves the
 * renewal `intended`; the worker that takes over finds it made upstream and does not pay again.
 */
describe('faults: a manual renewal whose worker is SIGKILLed after the paid call', function () {
  this.timeout(120_000);
  let h: Harness;
  let processes: ServiceProcesses;

  before(async () => {
    h = await startHarness({ role: 'api' });
    processes = new ServiceProcesses(h.service.config);
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') console.error(processes.outputs());
    await processes.killAll();
  });
  after(async () => {
    await processes?.dispose();
    await h?.close();
  });

  it('renews once upstream, and the retry records it', async () => {
    const crashing = processes.spawn({ crashAt: 'after-call:prolong', label: 'crashing@after-call:prolong' });
    const order = await h.service.request('POST', '/v1/admin/pool/orders', {
      body: { licensingServer: 'isp', priceList: '3541', period: 12, count: 1 },
    });
    assert.equal(order.status, 202, JSON.stringify(order.body));
    const ordered = await succeeded(h, order.body.operationIds[0]);
    const { licenseId, upstreamId } = ordered.result;
    const expiryBefore = h.sandbox.licenses().find((l) => l.id === upstreamId)!.expiredate;

    const renew = await h.service.request('POST', `/v1/admin/licenses/${licenseId}/actions`, {
      body: { action: 'renew', period: 1 },
    });
    assert.equal(renew.status, 202, JSON.stringify(renew.body));
    const exit = await crashing.waitForExit(45_000);
    assert.equal(exit.signal, 'SIGKILL', `the crashing worker exited with ${JSON.stringify(exit)}`);
    assert.match(crashing.output(), /crash point reached: after-call:prolong/);

    processes.spawn({ label: 'clean' });
    const op = await succeededOrDiagnose(h, renew.body.operationId);
    assert.ok(op.attempts >= 2, 'the killed attempt was taken over');
    const renewals = h.sandbox
      .calls()
      .filter((c) => c.func === 'service.prolong' && c.performed && c.params.elid === upstreamId);
    assert.equal(renewals.length, 1, 'renewed once upstream');
    const remote = h.sandbox.licenses().find((l) => l.id === upstreamId)!;
    assert.ok(remote.expiredate > expiryBefore, `paid further (${expiryBefore} → ${remote.expiredate})`);
    const rows = await h.service.request('GET', `/v1/admin/audit?licenseId=${licenseId}&actor=worker`);
    const renewedRows = rows.body.items.filter((r: { action: string }) => r.action === 'license.renewed');
    assert.equal(renewedRows.length, 1, 'one license.renewed row');
    assert.equal(op.result.paidUntil.slice(0, 10), remote.expiredate, 'the expiry read back');
    await checkMoneyRules(h);
  });
});
