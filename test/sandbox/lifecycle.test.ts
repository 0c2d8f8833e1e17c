import assert from 'node:assert/strict';
import type { SandboxHandle } from '../../src/sandbox/server';
import { ApiClient, DAY_MS, elemsOf, errorOf, orderParams, startTestSandbox } from './helpers';

describe('sandbox: prolong, suspend, resume, delete, expiry', () => {
  let sandbox: SandboxHandle;
  let client: ApiClient;

  beforeEach(async () => {
    sandbox = await startTestSandbox({ accounts: [{ username: 'reseller', password: 'sandbox', balance: 1000 }] });
    client = new ApiClient(sandbox);
  });
  afterEach(() => sandbox.close());

  const prolong = (elid: string, period: string) => client.call('service.prolong', { elid, period, sok: 'ok' });
  const field = async (elid: string, name: string) => (await client.read(elid)).doc[name];

  describe('service.prolong', () => {
    it('extends from the current expiredate while it lies ahead, and charges', async () => {
      const id = await client.order({ period: '1' });
      assert.equal((await prolong(id, '1')).doc.ok, '');
      assert.equal(await field(id, 'expiredate'), '2026-05-15');
      assert.equal((await prolong(id, '12')).doc.ok, '');
      assert.equal(await field(id, 'expiredate'), '2027-05-15');
      assert.equal(sandbox.balance(), 1000 - 10 - 10 - 100);
    });

    it('extends from today once expired, and reactivates a license suspended for non-payment', async () => {
      const id = await client.order({ period: '1' });
      sandbox.clock.set(new Date('2026-04-20T09:00:00Z'));
      assert.equal(await field(id, 'status'), '3');
      assert.equal(errorOf(await prolong(id, '1')), undefined);
      assert.equal(await field(id, 'expiredate'), '2026-05-20');
      assert.equal(await field(id, 'status'), '2');
    });

    it('keeps a license suspended by request suspended', async () => {
      const id = await client.order({ period: '1' });
      await client.call('soft.suspend', { elid: id });
      await prolong(id, '1');
      assert.equal(await field(id, 'status'), '3');
    });

    it('turns a license into a lifetime one with code -100, which then needs no renewal', async () => {
      const id = await client.order({ period: '1' });
      assert.equal(errorOf(await prolong(id, '-100')), undefined);
      assert.equal(await field(id, 'expiredate'), '2099-12-31');
      assert.equal(sandbox.balance(), 1000 - 10 - 300);
      assert.deepEqual(errorOf(await prolong(id, '1'))?.object, 'period');
    });

    it('refuses a period the price list lacks, a trial period, and a short balance, charging nothing', async () => {
      const id = await client.order({ period: '1' });
      assert.deepEqual(errorOf(await prolong(id, '6'))?.object, 'period');
      assert.deepEqual(errorOf(await prolong(id, '-50'))?.object, 'period');
      assert.deepEqual(errorOf(await client.call('service.prolong', { elid: id, sok: 'ok' }))?.object, 'period');
      sandbox.setBalance(5);
      assert.deepEqual(errorOf(await prolong(id, '1'))?.type, 'balance');
      assert.equal(sandbox.balance(), 5);
      assert.equal(await field(id, 'expiredate'), '2026-04-15');
    });

    it('refuses to renew a trial license (value/period): a trial is never renewed', async () => {
      const id = await client.order({ period: '-50' });
      assert.deepEqual(errorOf(await prolong(id, '1'))?.object, 'period');
      assert.equal(await field(id, 'expiredate'), '2026-03-29');
      assert.equal(sandbox.licenses()[0]?.trial, true);
      assert.equal(sandbox.balance(), 1000);
    });

    it('does nothing without sok=ok', async () => {
      const id = await client.order({ period: '1' });
      const reply = await client.call('service.prolong', { elid: id, period: '1' });
      assert.equal(reply.doc.ok, undefined);
      assert.equal(await field(id, 'expiredate'), '2026-04-15');
    });
  });

  describe('expiry', () => {
    it('reads an expired license as suspended, and as gone 30 days after expiry', async () => {
      const id = await client.order({ period: '1' });
      sandbox.clock.set(new Date('2026-04-15T23:59:59Z'));
      assert.equal(await field(id, 'status'), '2', 'paid through the end of the expiredate');
      sandbox.clock.set(new Date('2026-04-16T00:00:00Z'));
      assert.equal(await field(id, 'status'), '3');
      assert.equal(elemsOf(await client.call('soft'))[0]?.status, '3');
      sandbox.clock.set(new Date('2026-05-15T23:59:59Z'));
      assert.equal(await field(id, 'status'), '3');
      sandbox.clock.set(new Date('2026-05-16T00:00:00Z'));
      assert.deepEqual(errorOf(await client.read(id))?.type, 'missing');
      assert.deepEqual(elemsOf(await client.call('soft')), []);
      assert.deepEqual(errorOf(await prolong(id, '1'))?.type, 'missing');
      const [license] = sandbox.licenses();
      assert.equal(license?.deleted, true);
      assert.equal(license?.status, 4);
      assert.equal(license?.deletedAt, '2026-05-16T00:00:00.000Z');
    });

    it('never expires a lifetime license', async () => {
      const id = await client.order({ period: '-100' });
      sandbox.clock.advance(3650 * DAY_MS);
      assert.equal(await field(id, 'status'), '2');
    });
  });

  describe('soft.suspend / soft.resume', () => {
    it('suspends and resumes, both idempotent', async () => {
      const id = await client.order();
      for (let i = 0; i < 2; i++) assert.equal((await client.call('soft.suspend', { elid: id })).doc.ok, '');
      assert.equal(await field(id, 'status'), '3');
      for (let i = 0; i < 2; i++) assert.equal((await client.call('soft.resume', { elid: id })).doc.ok, '');
      assert.equal(await field(id, 'status'), '2');
    });

    it('refuses to resume a license whose paid time ended (limit/expiredate) until it is renewed', async () => {
      const id = await client.order({ period: '1' });
      await client.call('soft.suspend', { elid: id });
      sandbox.clock.set(new Date('2026-04-20T00:00:00Z'));
      const refused = await client.call('soft.resume', { elid: id });
      assert.deepEqual(errorOf(refused)?.type, 'limit');
      assert.deepEqual(errorOf(refused)?.object, 'expiredate');
      await prolong(id, '1');
      assert.equal(await field(id, 'status'), '3');
      assert.equal(errorOf(await client.call('soft.resume', { elid: id })), undefined);
      assert.equal(await field(id, 'status'), '2');
    });

    it('answers missing/elid for unknown licenses', async () => {
      for (const func of ['soft.suspend', 'soft.resume']) {
        assert.deepEqual(errorOf(await client.call(func, { elid: '42' }))?.object, 'elid');
        assert.deepEqual(errorOf(await client.call(func))?.type, 'missing');
      }
    });
  });

  describe('soft.delete and soft', () => {
    it('deletes: the license reads as missing and is no longer listed', async () => {
      const kept = await client.order({ ip: '10.0.0.1' });
      const gone = await client.order({ ip: '10.0.0.2' });
      assert.equal((await client.call('soft.delete', { elid: gone, sok: 'ok' })).doc.ok, '');
      assert.deepEqual(errorOf(await client.read(gone))?.type, 'missing');
      assert.deepEqual(errorOf(await client.call('soft.delete', { elid: gone, sok: 'ok' }))?.type, 'missing');
      assert.deepEqual(
        elemsOf(await client.call('soft')).map((e) => e.id),
        [kept],
      );
      assert.equal(sandbox.licenses().find((l) => l.id === gone)?.deleted, true);
    });

    it('does not delete without sok=ok', async () => {
      const id = await client.order();
      assert.equal((await client.call('soft.delete', { elid: id })).doc.ok, undefined);
      assert.equal(await field(id, 'status'), '2');
    });

    it('lists every live license with the documented fields and no keys', async () => {
      const a = await client.order({ ip: '10.0.0.1', licname: 'one', remoteid: 'r-1' });
      const b = await client.order({ ip: '10.0.0.2', licname: 'two', remoteid: 'r-2', pricelist: '4601' });
      const elems = elemsOf(await client.call('soft'));
      assert.deepEqual(elems, [
        {
          id: a,
          pricelist: '3541',
          ip: '10.0.0.1',
          licname: 'one',
          status: '2',
          expiredate: '2027-03-15',
          remoteid: 'r-1',
        },
        {
          id: b,
          pricelist: '4601',
          ip: '10.0.0.2',
          licname: 'two',
          status: '2',
          expiredate: '2027-03-15',
          remoteid: 'r-2',
        },
      ]);
    });
  });

  describe('accounts', () => {
    it('keeps the licenses and balances of different accounts apart', async () => {
      const two = await startTestSandbox({
        accounts: [
          { username: 'alice', password: 'a', balance: 500 },
          { username: 'bob', password: 'b', balance: 50 },
        ],
      });
      try {
        const alice = new ApiClient(two, 'alice', 'a');
        const bob = new ApiClient(two, 'bob', 'b');
        assert.equal(two.username, 'alice');
        const id = await alice.order({ period: '-50', ip: '10.7.7.7' });
        assert.deepEqual(errorOf(await bob.read(id))?.type, 'missing');
        for (const func of ['soft.suspend', 'soft.resume'])
          assert.equal(errorOf(await bob.call(func, { elid: id }))?.type, 'missing');
        assert.equal(errorOf(await bob.call('soft.delete', { elid: id, sok: 'ok' }))?.type, 'missing');
        assert.equal(errorOf(await bob.call('service.prolong', { elid: id, period: '1', sok: 'ok' }))?.type, 'missing');
        assert.deepEqual(elemsOf(await bob.call('soft')), []);
        const trial = await bob.call('soft.order.param', orderParams({ period: '-50', ip: '10.7.7.7' }));
        assert.equal(errorOf(trial)?.type, 'exists', 'one trial per IP ever, whoever asks');
        await bob.order({ period: '1' });
        assert.equal(two.balance('alice'), 500);
        assert.equal(two.balance('bob'), 40);
        assert.deepEqual(
          two.licenses().map((l) => l.owner),
          ['alice', 'bob'],
        );
        assert.throws(() => two.balance('carol'), /no sandbox account/);
      } finally {
        await two.close();
      }
    });
  });
});
