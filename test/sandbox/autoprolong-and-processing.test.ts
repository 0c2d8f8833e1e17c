import assert from 'node:assert/strict';
import type { SandboxHandle } from '../../src/sandbox/server';
import { ApiClient, control, elemsOf, orderParams, startTestSandbox } from './helpers';

describe('sandbox: autoprolong on orders, and orders still processing', () => {
  let sandbox: SandboxHandle;
  let client: ApiClient;

  beforeEach(async () => {
    sandbox = await startTestSandbox({ accounts: [{ username: 'reseller', password: 'sandbox', balance: 1000 }] });
    client = new ApiClient(sandbox);
  });
  afterEach(() => sandbox.close());

  it('records the autoprolong an order sent, refuses none, and never renews by itself', async () => {
    for (const [i, value] of ['null', '1', '12'].entries()) {
      const reply = await client.call('soft.order.param', orderParams({ ip: `10.0.0.${i + 1}`, autoprolong: value }));
      assert.equal(typeof reply.doc.id, 'string', reply.body);
    }
    await client.order({ ip: '10.0.0.9' });
    assert.deepEqual(
      sandbox.licenses().map((l) => l.autoprolong),
      ['null', '1', '12', null],
    );
    const balance = sandbox.balance();
    sandbox.clock.advance(400 * 86_400_000);
    assert.equal(sandbox.balance(), balance, 'nothing renewed, nothing charged');
    assert.ok(sandbox.licenses().every((l) => l.expiredate === '2027-03-15'));
  });

  it('an order placed while processing is on stays status 5 without expiry or key, then turns active', async () => {
    assert.equal((await control(sandbox, 'PUT', '/processing', { ms: 600_000 })).status, 200);
    const id = await client.order();
    const processing = await client.read(id);
    assert.deepEqual([processing.doc.status, processing.doc.expiredate, processing.doc.lickey], ['5', '', '']);
    assert.deepEqual(
      elemsOf(await client.call('soft')).map((e) => [e.status, e.expiredate]),
      [['5', '']],
    );
    assert.equal(sandbox.licenses()[0]!.status, 5);
    sandbox.clock.advance(600_000);
    const active = await client.read(id);
    assert.equal(active.doc.status, '2');
    assert.equal(active.doc.expiredate, '2027-03-15');
    assert.match(active.doc.lickey as string, /^[0-9A-F]{32}$/);
    sandbox.setOrderProcessing(0);
    assert.equal((await client.read(await client.order({ ip: '10.0.0.2' }))).doc.status, '2', 'off again');
    assert.equal((await control(sandbox, 'PUT', '/processing', { ms: -1 })).status, 400);
  });
});
