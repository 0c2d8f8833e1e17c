import assert from 'node:assert/strict';
import type { SandboxHandle } from '../../src/sandbox/server';
import { ApiClient, errorOf, orderParams, startTestSandbox } from './helpers';

describe('sandbox: trial price list (ISPmanager 6, 55239)', () => {
  let sandbox: SandboxHandle;
  let client: ApiClient;

  beforeEach(async () => {
    sandbox = await startTestSandbox({ accounts: [{ username: 'reseller', password: 'sandbox', balance: 1000 }] });
    client = new ApiClient(sandbox);
  });
  afterEach(() => sandbox.close());

  const orderTrial = (ip: string) =>
    client.call('soft.order.param', orderParams({ pricelist: '55239', period: '-50', ip }));

  it('orders a free 14-day license with the trial code', async () => {
    const reply = await orderTrial('10.4.4.4');
    const id = reply.doc.id as string;
    const read = await client.read(id);
    assert.equal(read.doc.expiredate, '2026-03-29');
    assert.equal(read.doc.status, '2');
    assert.equal(read.doc.pricelist, '55239');
    assert.equal(sandbox.balance(), 1000);
    assert.equal(sandbox.licenses()[0]?.trial, true);
  });

  it('is a trial price list only: months and lifetime are refused (value/period)', async () => {
    for (const period of ['1', '12', '-100']) {
      const reply = await client.call('soft.order.param', orderParams({ pricelist: '55239', period }));
      assert.deepEqual([errorOf(reply)?.type, errorOf(reply)?.object], ['value', 'period'], period);
    }
    assert.deepEqual(sandbox.licenses(), []);
  });

  it('gives one trial per IP: a second is refused with exists, even after the first is deleted', async () => {
    const first = (await orderTrial('10.4.4.4')).doc.id as string;
    assert.deepEqual(errorOf(await orderTrial('10.4.4.4'))?.type, 'exists');
    await client.call('soft.delete', { elid: first, sok: 'ok' });
    assert.deepEqual(errorOf(await orderTrial('10.4.4.4'))?.type, 'exists');
    const other = await client.call('soft.order.param', orderParams({ period: '-50', ip: '10.4.4.4' }));
    assert.deepEqual(errorOf(other)?.type, 'exists', 'one trial per IP, whatever the price list');
    assert.ok((await orderTrial('10.4.4.5')).doc.id);
  });

  it('never renews a trial, for any period, and charges nothing', async () => {
    const id = (await orderTrial('10.4.4.4')).doc.id as string;
    for (const period of ['1', '12', '-50']) {
      const reply = await client.call('service.prolong', { elid: id, period, sok: 'ok' });
      assert.deepEqual([errorOf(reply)?.type, errorOf(reply)?.object], ['value', 'period'], period);
    }
    assert.equal((await client.read(id)).doc.expiredate, '2026-03-29');
    assert.equal(sandbox.balance(), 1000);
  });

  it('knows ISPmanager 6’s paid price lists', async () => {
    for (const pricelist of ['55227', '55228', '55229', '55230']) {
      assert.ok(await client.order({ pricelist, period: '1', ip: '10.0.1.1' }), pricelist);
    }
    assert.equal(sandbox.balance(), 1000 - 8 - 14 - 25 - 40);
  });
});
