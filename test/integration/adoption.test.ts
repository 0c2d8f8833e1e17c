import assert from 'node:assert/strict';
import { openFacts, startHarness, type Harness } from '../helpers/lifecycle';

/** CONTRACT.md "Reconciliation and adoption": live upstream licenses nobody here knows become pooled licenses of ours. */
describe('adoption of upstream licenses into the pool', function () {
  this.timeout(90_000);
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  const adopt = (body: Record<string, unknown>) => h.service.request('POST', '/v1/admin/licenses/adopt', { body });
  const countOperations = async () =>
    Number(((await h.service.database.db('operations').count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);

  it("adopts a license of BILLmanager's own pool (free.lic on 0.0.0.0); an open then reuses it without an order", async () => {
    const free = h.sandbox.createLicense({ pricelist: '3541' });
    assert.deepEqual([free.licname, free.ip], ['free.lic', '0.0.0.0']);

    const answer = await adopt({ licensingServer: 'isp', upstreamIds: [free.id] });
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    const [operationId] = answer.body.operationIds as string[];
    const adopted = await h.settled(operationId!);
    assert.equal(adopted.status, 'succeeded', JSON.stringify(adopted.error));
    const license = await h.service.stores.licenses.findByUpstream('isp', free.id);
    assert.deepEqual(
      [license!.state, license!.source, license!.priceList, license!.activationKey],
      ['pooled', 'adopted', '3541', free.lickey],
    );
    const audit = await h.service.request('GET', `/v1/admin/audit?licenseId=${license!.id}`);
    assert.deepEqual(
      audit.body.items
        .filter((row: { action: string }) => row.action.startsWith('license.'))
        .map((row: { action: string; operationId: string }) => [row.action, row.operationId]),
      [['license.adopted', operationId]],
    );

    const opened = await h.run('open', openFacts('reuses-adopted'));
    assert.equal(opened.status, 'succeeded', JSON.stringify(opened.error));
    assert.deepEqual([opened.result.source, opened.result.licenseId], ['pool', license!.id]);
    assert.equal(
      h.sandbox.calls().filter((c) => c.func === 'soft.order.param').length,
      0,
      'no order: the adopted license served the open',
    );
  });

  it('answers 409 already_known for a license the service holds, and queues nothing', async () => {
    const opened = await h.run('open', openFacts('holds-one'));
    assert.equal(opened.status, 'succeeded', JSON.stringify(opened.error));
    const unknown = h.sandbox.createLicense({ pricelist: '3541' });
    const before = await countOperations();
    const answer = await adopt({ licensingServer: 'isp', upstreamIds: [unknown.id, opened.result.upstreamId] });
    assert.equal(answer.status, 409, JSON.stringify(answer.body));
    assert.equal(answer.body.error.code, 'already_known');
    assert.equal(await countOperations(), before, 'nothing queued');
  });

  it('fails an adoption with unknown_price_list or not_live; `all` takes the unknown_upstream drift', async () => {
    const strange = h.sandbox.createLicense({ pricelist: '9999' });
    const deleted = h.sandbox.createLicense({ pricelist: '3541' });
    h.sandbox.deleteLicense(deleted.id);
    const answer = await adopt({ licensingServer: 'isp', upstreamIds: [strange.id, deleted.id] });
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    const [first, second] = await Promise.all(
      (answer.body.operationIds as string[]).map((id) => h.settled(id, ['succeeded', 'failed'])),
    );
    assert.deepEqual(
      [first.status, first.error?.code, second.status, second.error?.code],
      ['failed', 'unknown_price_list', 'failed', 'not_live'],
    );
    assert.equal(await h.service.stores.licenses.findByUpstream('isp', strange.id), null);

    const stock = h.sandbox.createLicense({ pricelist: '4601' });
    const run = await h.service.request('POST', '/v1/admin/licensing-servers/isp/reconcile');
    const deadline = Date.now() + 20_000;
    while ((await h.service.stores.drift.getRun(run.body.runId))?.status !== 'succeeded')
      (assert.ok(Date.now() < deadline, 'the run ends'), await new Promise((r) => setTimeout(r, 50)));
    const all = await adopt({ licensingServer: 'isp', all: true });
    assert.equal(all.status, 202, JSON.stringify(all.body));
    const outcomes = await Promise.all(
      (all.body.operationIds as string[]).map((id) => h.settled(id, ['succeeded', 'failed'])),
    );
    assert.deepEqual(outcomes.map((o) => o.status).sort(), ['failed', 'succeeded'], 'the 9999 one fails again');
    assert.equal((await h.service.stores.licenses.findByUpstream('isp', stock.id))?.state, 'pooled');
  });
});
