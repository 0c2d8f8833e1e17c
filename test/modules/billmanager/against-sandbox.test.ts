import assert from 'node:assert/strict';
import { UpstreamAuthError, UpstreamNotFoundError, UpstreamRejectedError } from '../../../src/domain/upstream-errors';
import { assertNoSecret, rejectionOf, renderError } from './helpers';
import { DAY_MS, MINUTE_MS, countCalls, moduleFor, useSandbox } from './sandbox-helpers';

const order = { priceList: '3541', period: 12, ip: '203.0.113.10', name: 'vps-1001', reference: 'op-1-order-1' };

describe('billmanager module against the sandbox (real HTTP)', () => {
  const sandbox = useSandbox();

  it('runs every operation of a license life', async () => {
    const module = moduleFor(sandbox());
    await module.checkConnection();

    const { upstreamId } = await module.order(order);
    const fresh = await module.get({ upstreamId });
    assert.equal(fresh.priceList, '3541');
    assert.equal(fresh.ip, '203.0.113.10');
    assert.equal(fresh.name, 'vps-1001');
    assert.equal(fresh.status, 'active');
    assert.equal(fresh.reference, 'op-1-order-1');
    assert.ok(fresh.activationKey);
    assert.equal(fresh.paidUntil?.getUTCHours(), 23, 'paid through the end of the day');
    assert.ok(fresh.paidUntil!.getTime() > Date.parse('2026-03-09T00:00:00Z'), 'about 12 months paid');

    const listed = await module.list();
    assert.deepEqual(
      listed.map((l) => [l.upstreamId, l.activationKey, l.reference]),
      [[upstreamId, null, 'op-1-order-1']],
    );
    assert.deepEqual(await module.findByReference({ reference: 'op-1-order-1' }), fresh);

    await module.rename({ upstreamId, name: 'vps-2002' });
    await module.changeIp({ upstreamId, ip: '198.51.100.7' });
    const { activationKey } = await module.regenerateKey({ upstreamId });
    assert.ok(activationKey && activationKey !== fresh.activationKey);
    const edited = await module.get({ upstreamId });
    assert.deepEqual([edited.name, edited.ip, edited.activationKey], ['vps-2002', '198.51.100.7', activationKey]);

    await module.prolong({ upstreamId, period: 1 });
    const prolonged = await module.get({ upstreamId });
    assert.ok(prolonged.paidUntil!.getTime() - fresh.paidUntil!.getTime() >= 28 * DAY_MS);

    await module.suspend({ upstreamId });
    assert.equal((await module.get({ upstreamId })).status, 'suspended');
    await module.resume({ upstreamId });
    assert.equal((await module.get({ upstreamId })).status, 'active');

    await module.remove({ upstreamId });
    assert.equal(await module.findByReference({ reference: 'op-1-order-1' }), null);
    assert.equal(countCalls(sandbox(), 'auth'), 1, 'one session served it all');
  });

  it('orders for lifetime with the configured code', async () => {
    const module = moduleFor(sandbox());
    const { upstreamId } = await module.order({ ...order, period: 'lifetime' });
    const license = await module.get({ upstreamId });
    assert.equal(license.paidUntil?.toISOString(), '2099-12-31T23:59:59.999Z');
    assert.equal(sandbox().licenses()[0]?.period, '-100');
  });

  it('works in authinfo mode, without any login', async () => {
    const module = moduleFor(sandbox(), { auth: 'authinfo' });
    await module.checkConnection();
    const { upstreamId } = await module.order(order);
    assert.equal((await module.get({ upstreamId })).status, 'active');
    assert.equal(countCalls(sandbox(), 'auth'), 0);
  });

  it('renews the session after an hour idle (61 min) and repeats the refused call', async () => {
    const module = moduleFor(sandbox());
    const { upstreamId } = await module.order(order);
    sandbox().clock.advance(61 * MINUTE_MS);
    assert.equal((await module.get({ upstreamId })).upstreamId, upstreamId);
    assert.equal(countCalls(sandbox(), 'auth'), 2);
    const edits = sandbox()
      .calls()
      .filter((call) => call.func === 'soft.edit');
    assert.deepEqual(
      edits.map((call) => [call.outcome, call.errorType]),
      [
        ['error', 'auth'],
        ['ok', undefined],
      ],
    );
  });

  for (const auth of ['session', 'authinfo'] as const) {
    it(`a wrong password is UpstreamAuthError (${auth}), and the password is nowhere in it`, async () => {
      const password = 'Wr0ng-p@ssword';
      const error = await rejectionOf(moduleFor(sandbox(), { auth }, { password }).checkConnection());
      assert.ok(error instanceof UpstreamAuthError, String(error));
      const rendered = renderError(error);
      assert.ok(!rendered.includes(password) && !rendered.includes(encodeURIComponent(password)));
      assertNoSecret(rendered);
    });
  }

  it('refuses a second IP change in one calendar month (limit/ip), allows it next month', async () => {
    const module = moduleFor(sandbox());
    const { upstreamId } = await module.order(order);
    await module.changeIp({ upstreamId, ip: '198.51.100.7' });
    await module.changeIp({ upstreamId, ip: '198.51.100.7' });
    const error = await rejectionOf(module.changeIp({ upstreamId, ip: '198.51.100.8' }));
    assert.ok(error instanceof UpstreamRejectedError);
    assert.deepEqual([error.upstreamType, error.upstreamObject, error.retryable], ['limit', 'ip', false]);
    sandbox().clock.advance(25 * DAY_MS);
    await module.changeIp({ upstreamId, ip: '198.51.100.8' });
    assert.equal((await module.get({ upstreamId })).ip, '198.51.100.8');
  });

  it('sets IP and name in one edit, all or nothing: a refused IP leaves the name too', async () => {
    const module = moduleFor(sandbox());
    const { upstreamId } = await module.order(order);
    const edits = countCalls(sandbox(), 'soft.edit');
    await module.edit({ upstreamId, ip: '198.51.100.7', name: 'vps-2002' });
    assert.equal(countCalls(sandbox(), 'soft.edit') - edits, 1, 'one call for both fields');
    const edited = await module.get({ upstreamId });
    assert.deepEqual([edited.ip, edited.name], ['198.51.100.7', 'vps-2002']);
    const error = await rejectionOf(module.edit({ upstreamId, ip: '198.51.100.8', name: 'vps-3003' }));
    assert.ok(error instanceof UpstreamRejectedError);
    assert.deepEqual([error.upstreamType, error.upstreamObject], ['limit', 'ip']);
    const refused = await module.get({ upstreamId });
    assert.deepEqual([refused.ip, refused.name], ['198.51.100.7', 'vps-2002']);
  });

  it('refuses a second key regeneration within a month (limit/lickey)', async () => {
    const module = moduleFor(sandbox());
    const { upstreamId } = await module.order(order);
    await module.regenerateKey({ upstreamId });
    const error = await rejectionOf(module.regenerateKey({ upstreamId }));
    assert.ok(error instanceof UpstreamRejectedError);
    assert.deepEqual([error.upstreamType, error.upstreamObject], ['limit', 'lickey']);
  });

  it('an order without money is UpstreamRejectedError balance, and nothing is ordered', async () => {
    sandbox().setBalance(0);
    const error = await rejectionOf(moduleFor(sandbox()).order(order));
    assert.ok(error instanceof UpstreamRejectedError);
    assert.equal(error.upstreamType, 'balance');
    assert.deepEqual(sandbox().licenses(), []);
  });

  it('an unknown price list is UpstreamRejectedError; an unknown license is UpstreamNotFoundError', async () => {
    const module = moduleFor(sandbox());
    const error = await rejectionOf(module.order({ ...order, priceList: '999999' }));
    assert.ok(error instanceof UpstreamRejectedError, String(error));
    assert.ok((await rejectionOf(module.get({ upstreamId: '424242' }))) instanceof UpstreamNotFoundError);
  });
});
