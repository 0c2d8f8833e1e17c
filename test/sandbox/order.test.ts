import assert from 'node:assert/strict';
import type { SandboxHandle } from '../../src/sandbox/server';
import { ApiClient, errorOf, orderParams, startTestSandbox } from './helpers';

describe('sandbox: soft.order.param', () => {
  let sandbox: SandboxHandle;
  let client: ApiClient;

  beforeEach(async () => {
    sandbox = await startTestSandbox({ accounts: [{ username: 'reseller', password: 'sandbox', balance: 1000 }] });
    client = new ApiClient(sandbox);
  });
  afterEach(() => sandbox.close());

  it('orders an active license, charges the price and returns its id', async () => {
    const reply = await client.call('soft.order.param', orderParams({ licname: 'vps-7', remoteid: 'op-7' }));
    assert.equal(reply.doc.ok, '');
    const id = reply.doc.id as string;
    assert.match(id, /^\d+$/);
    const read = await client.read(id);
    assert.equal(read.doc.elid, id);
    assert.equal(read.doc.pricelist, '3541');
    assert.equal(read.doc.ip, '10.0.0.1');
    assert.equal(read.doc.licname, 'vps-7');
    assert.equal(read.doc.remoteid, 'op-7');
    assert.equal(read.doc.status, '2');
    assert.equal(read.doc.expiredate, '2027-03-15');
    assert.match(read.doc.lickey as string, /^[0-9A-F]{32}$/);
    assert.equal(sandbox.balance(), 900);
    const [license] = sandbox.licenses();
    assert.equal(license?.id, id);
    assert.equal(license?.createdAt.slice(0, 10), '2026-03-15');
    assert.equal(license?.ipChangedAt, null);
  });

  it('gives each license its own id and key', async () => {
    const first = await client.order();
    const second = await client.order({ ip: '10.0.0.2' });
    assert.notEqual(first, second);
    const [a, b] = sandbox.licenses();
    assert.notEqual(a?.lickey, b?.lickey);
  });

  it('adds calendar months in UTC, clamping to the month end', async () => {
    sandbox.clock.set(new Date('2026-01-31T23:30:00Z'));
    const id = await client.order({ period: '1' });
    assert.equal((await client.read(id)).doc.expiredate, '2026-02-28');
    assert.equal(sandbox.balance(), 990);
  });

  it('orders lifetime licenses (code -100) with a far-future expiredate', async () => {
    const id = await client.order({ period: '-100' });
    const read = await client.read(id);
    assert.equal(read.doc.expiredate, '2099-12-31');
    assert.equal(read.doc.status, '2');
    assert.equal(sandbox.balance(), 700);
    assert.equal(sandbox.licenses()[0]?.lifetime, true);
  });

  it('orders a free 14-day trial (code -50), at most one per IP ever', async () => {
    const id = await client.order({ period: '-50', ip: '10.9.9.9' });
    assert.equal((await client.read(id)).doc.expiredate, '2026-03-29');
    assert.equal(sandbox.balance(), 1000);
    await client.call('soft.delete', { elid: id, sok: 'ok' });
    const again = await client.call('soft.order.param', orderParams({ period: '-50', ip: '10.9.9.9' }));
    assert.deepEqual(errorOf(again)?.type, 'exists');
    assert.deepEqual(errorOf(again)?.object, 'ip');
    assert.ok(await client.order({ period: '-50', ip: '10.9.9.10' }));
  });

  it('has no trial for BILLmanager price lists', async () => {
    const reply = await client.call('soft.order.param', orderParams({ pricelist: '55331', period: '-50' }));
    assert.deepEqual(errorOf(reply)?.object, 'period');
  });

  it('knows the seed price lists', async () => {
    for (const pricelist of ['3541', '4601', '55331', '55333', '55335']) {
      assert.ok(await client.order({ pricelist, period: '1', ip: '10.0.1.1' }));
    }
    assert.equal(sandbox.balance(), 1000 - 10 - 30 - 20 - 50 - 100);
  });

  it('refuses an unknown price list, a period it cannot be ordered for, or no period', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ pricelist: '9999' }, 'pricelist'],
      [{ pricelist: '' }, 'pricelist'],
      [{ period: '3' }, 'period'],
      [{ period: 'lifetime' }, 'period'],
      [{ period: '' }, 'period'],
    ];
    for (const [params, object] of cases) {
      const reply = await client.call('soft.order.param', orderParams(params));
      assert.deepEqual(errorOf(reply)?.type, 'value', JSON.stringify(params));
      assert.deepEqual(errorOf(reply)?.object, object, JSON.stringify(params));
    }
    assert.equal(sandbox.licenses().length, 0);
    assert.equal(sandbox.balance(), 1000);
  });

  it('refuses a missing or invalid IP, and accepts IPv6', async () => {
    for (const ip of ['', '10.0.0', '10.0.0.256', 'example.com', '10.0.0.1 ']) {
      const reply = await client.call('soft.order.param', orderParams({ ip }));
      assert.equal(errorOf(reply)?.type, 'value', ip);
      assert.equal(errorOf(reply)?.object, 'ip', ip);
    }
    const { ip: _, ...withoutIp } = orderParams();
    assert.equal(errorOf(await client.call('soft.order.param', withoutIp))?.object, 'ip');
    assert.ok(await client.order({ ip: '2001:db8::1' }));
  });

  it('refuses an overlong licname or remoteid', async () => {
    const long = 'x'.repeat(129);
    assert.equal(errorOf(await client.call('soft.order.param', orderParams({ licname: long })))?.object, 'licname');
    assert.equal(errorOf(await client.call('soft.order.param', orderParams({ remoteid: long })))?.object, 'remoteid');
  });

  it('refuses with a balance error, charging nothing, when the account is short', async () => {
    sandbox.setBalance(99.99);
    const reply = await client.call('soft.order.param', orderParams());
    assert.deepEqual(errorOf(reply)?.type, 'balance');
    assert.equal(sandbox.balance(), 99.99);
    assert.equal(sandbox.licenses().length, 0);
    sandbox.setBalance(100);
    await client.order();
    assert.equal(sandbox.balance(), 0);
  });

  it('only shows the form, ordering nothing, without sok=ok', async () => {
    const { sok: _, ...withoutSok } = orderParams();
    const reply = await client.call('soft.order.param', withoutSok);
    assert.equal(errorOf(reply), undefined);
    assert.equal(reply.doc.ok, undefined);
    assert.equal(reply.doc.id, undefined);
    assert.equal(reply.doc.pricelist, '3541');
    assert.equal(sandbox.licenses().length, 0);
  });

  it('refuses an order without skipbasket=on (the sandbox has no basket)', async () => {
    const reply = await client.call('soft.order.param', orderParams({ skipbasket: 'off' }));
    assert.deepEqual(errorOf(reply)?.object, 'skipbasket');
    assert.equal(sandbox.licenses().length, 0);
  });

  it('does not enforce unique remoteids (a double order is visible, not hidden)', async () => {
    await client.order({ remoteid: 'same' });
    await client.order({ remoteid: 'same' });
    assert.equal(sandbox.licenses().length, 2);
  });

  it('escapes names in replies', async () => {
    const id = await client.order({ licname: 'a<b>&"c\'' });
    assert.equal((await client.read(id)).doc.licname, 'a<b>&"c\'');
  });
});

describe('sandbox: prices option', () => {
  it('replaces the named price lists and keeps the others', async () => {
    const sandbox = await startTestSandbox({ prices: { '3541': { '3': 25 }, '777': { '1': 5 } } });
    try {
      const client = new ApiClient(sandbox);
      const start = sandbox.balance();
      const id = await client.order({ period: '3' });
      assert.equal((await client.read(id)).doc.expiredate, '2026-06-15');
      assert.equal(errorOf(await client.call('soft.order.param', orderParams({ period: '12' })))?.object, 'period');
      await client.order({ pricelist: '777', period: '1' });
      await client.order({ pricelist: '4601', period: '1' });
      assert.equal(sandbox.balance(), start - 25 - 5 - 30);
    } finally {
      await sandbox.close();
    }
  });
});
