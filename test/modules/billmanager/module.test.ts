import assert from 'node:assert/strict';
import nock from 'nock';
import {
  ModuleConfigurationError,
  UpstreamNotFoundError,
  UpstreamProtocolError,
  UpstreamRejectedError,
} from '../../../src/domain/upstream-errors';
import {
  ORIGIN,
  RecordingLogger,
  SESSION,
  createModule,
  expectCall,
  loggedInScope,
  rejectionOf,
  useNock,
} from './helpers';

const auth = SESSION;

describe('billmanager module: every function on the wire', () => {
  useNock();

  it('checkConnection makes an authenticated func=soft call', async () => {
    const scope = expectCall(loggedInScope(), { func: 'soft', auth }, 'list.xml');
    await createModule().checkConnection();
    scope.done();
  });

  it('order sends soft.order.param with every parameter and returns /doc/id', async () => {
    const scope = expectCall(
      loggedInScope(),
      {
        func: 'soft.order.param',
        auth,
        pricelist: '3541',
        period: '12',
        ip: '203.0.113.10',
        licname: 'vps-1001.example.net',
        remoteid: 'op-42-order-1',
        skipbasket: 'on',
        sok: 'ok',
        clicked_button: 'finish',
      },
      'order-ok.xml',
    );
    const result = await createModule().order({
      priceList: '3541',
      period: 12,
      ip: '203.0.113.10',
      name: 'vps-1001.example.net',
      reference: 'op-42-order-1',
    });
    assert.deepEqual(result, { upstreamId: '7001' });
    scope.done();
  });

  it('order for lifetime sends the configured code', async () => {
    const scope = expectCall(
      loggedInScope(),
      {
        func: 'soft.order.param',
        auth,
        pricelist: '4601',
        period: '-100',
        ip: '203.0.113.10',
        licname: 'n',
        remoteid: 'r',
        skipbasket: 'on',
        sok: 'ok',
        clicked_button: 'finish',
      },
      'order-ok.xml',
    );
    const module = createModule({ periodCodes: { lifetime: -100 } });
    await module.order({ priceList: '4601', period: 'lifetime', ip: '203.0.113.10', name: 'n', reference: 'r' });
    scope.done();
  });

  it('order for lifetime without periodCodes.lifetime is a configuration error, and nothing is sent', async () => {
    const error = await rejectionOf(
      createModule().order({ priceList: '4601', period: 'lifetime', ip: '203.0.113.10', name: 'n', reference: 'r' }),
    );
    assert.ok(error instanceof ModuleConfigurationError);
    assert.match(error.message, /periodCodes\.lifetime/);
    assert.equal(nock.pendingMocks().length, 0);
  });

  it('order with a period that is not whole months is refused before any call', async () => {
    const error = await rejectionOf(
      createModule().order({ priceList: '3541', period: 1.5, ip: '203.0.113.10', name: 'n', reference: 'r' }),
    );
    assert.ok(error instanceof ModuleConfigurationError);
  });

  const monthlyOrder = { priceList: '3541', period: 1, ip: '203.0.113.10', name: 'n', reference: 'r' };
  const monthlyOrderForm = {
    func: 'soft.order.param',
    auth,
    pricelist: '3541',
    period: '1',
    ip: '203.0.113.10',
    licname: 'n',
    remoteid: 'r',
    skipbasket: 'on',
    sok: 'ok',
    clicked_button: 'finish',
  };

  for (const [fixtureName, why] of [
    ['ok.xml', 'has no <id>'],
    ['empty-doc.xml', 'is an empty <doc>'],
    ['order-two-ids.xml', 'has two <id>'],
  ] as const) {
    it(`order whose success reply ${why} is a protocol error, never a success`, async () => {
      const scope = expectCall(loggedInScope(), monthlyOrderForm, fixtureName);
      const error = await rejectionOf(createModule().order(monthlyOrder));
      assert.ok(error instanceof UpstreamProtocolError, String(error));
      scope.done();
    });
  }

  it('order refused for want of money is UpstreamRejectedError balance', async () => {
    const scope = expectCall(loggedInScope(), monthlyOrderForm, 'error-balance.xml');
    const error = await rejectionOf(createModule().order(monthlyOrder));
    assert.ok(error instanceof UpstreamRejectedError);
    assert.equal(error.upstreamType, 'balance');
    assert.equal(error.retryable, false);
    scope.done();
  });

  it('get reads soft.edit&elid into an UpstreamLicense', async () => {
    const scope = expectCall(loggedInScope(), { func: 'soft.edit', auth, elid: '7001' }, 'license.xml');
    const license = await createModule().get({ upstreamId: '7001' });
    assert.deepEqual(license, {
      upstreamId: '7001',
      priceList: '3541',
      ip: '203.0.113.10',
      name: 'vps-1001.example.net',
      status: 'active',
      paidUntil: new Date('2025-03-31T23:59:59.999Z'),
      activationKey: 'KEY-AAAA-1111-SECRET',
      reference: 'op-42-order-1',
    });
    scope.done();
  });

  it('get maps empty fields to null', async () => {
    const scope = expectCall(loggedInScope(), { func: 'soft.edit', auth, elid: '7003' }, 'license-sparse.xml');
    const license = await createModule().get({ upstreamId: '7003' });
    assert.deepEqual(license, {
      upstreamId: '7003',
      priceList: '4601',
      ip: null,
      name: '',
      status: 'ordered',
      paidUntil: null,
      activationKey: null,
      reference: null,
    });
    scope.done();
  });

  for (const [fixtureName, why] of [
    ['license-no-status.xml', 'no status'],
    ['license-bad-date.xml', 'an impossible date'],
    ['license-other-elid.xml', 'another license'],
    ['license-nested-field.xml', 'a field with child elements'],
    ['ok.xml', 'no fields at all'],
  ] as const) {
    it(`get of a reply with ${why} is a protocol error`, async () => {
      const scope = expectCall(loggedInScope(), { func: 'soft.edit', auth, elid: '7001' }, fixtureName);
      const error = await rejectionOf(createModule().get({ upstreamId: '7001' }));
      assert.ok(error instanceof UpstreamProtocolError, String(error));
      scope.done();
    });
  }

  it('get of an unknown license is UpstreamNotFoundError', async () => {
    const scope = expectCall(loggedInScope(), { func: 'soft.edit', auth, elid: '999' }, 'error-missing.xml');
    const error = await rejectionOf(createModule().get({ upstreamId: '999' }));
    assert.ok(error instanceof UpstreamNotFoundError);
    scope.done();
  });

  it('list reads every <elem> of func=soft, status codes 0..5, no keys', async () => {
    const scope = expectCall(loggedInScope(), { func: 'soft', auth }, 'list.xml');
    const licenses = await createModule().list();
    assert.deepEqual(
      licenses.map((l) => [l.upstreamId, l.priceList, l.status, l.paidUntil?.toISOString() ?? null, l.reference]),
      [
        ['7001', '3541', 'active', '2025-03-31T23:59:59.999Z', 'op-42-order-1'],
        ['7002', '4601', 'suspended', '2024-12-01T23:59:59.999Z', 'op-43-order-1'],
        ['7000', '3541', 'deleted', '2024-01-31T23:59:59.999Z', 'op-44-order-1'],
        ['7004', '55331', 'processing', '2026-01-15T23:59:59.999Z', null],
        ['7005', '55333', 'ordered', null, 'op-45-order-1'],
        ['7006', '55335', 'unknown', '2025-06-30T23:59:59.999Z', null],
      ],
    );
    assert.ok(licenses.every((l) => l.activationKey === null));
    assert.equal(licenses[3]!.ip, null);
    scope.done();
  });

  it('list of an empty account is empty', async () => {
    const scope = expectCall(loggedInScope(), { func: 'soft', auth }, 'empty-doc.xml');
    assert.deepEqual(await createModule().list(), []);
    scope.done();
  });

  it('list with an <elem> without id is a protocol error', async () => {
    const scope = expectCall(loggedInScope(), { func: 'soft', auth }, 'list-elem-no-id.xml');
    assert.ok((await rejectionOf(createModule().list())) instanceof UpstreamProtocolError);
    scope.done();
  });

  it('findByReference matches remoteid, then reads the full record', async () => {
    const scope = expectCall(loggedInScope(), { func: 'soft', auth }, 'list.xml');
    expectCall(scope, { func: 'soft.edit', auth, elid: '7001' }, 'license.xml');
    const license = await createModule().findByReference({ reference: 'op-42-order-1' });
    assert.equal(license?.upstreamId, '7001');
    assert.equal(license?.activationKey, 'KEY-AAAA-1111-SECRET');
    scope.done();
  });

  it('findByReference gives null when no license carries the reference', async () => {
    const scope = expectCall(loggedInScope(), { func: 'soft', auth }, 'list.xml');
    assert.equal(await createModule().findByReference({ reference: 'op-99-order-1' }), null);
    scope.done();
  });

  it('findByReference ignores deleted licenses', async () => {
    const scope = expectCall(loggedInScope(), { func: 'soft', auth }, 'list.xml');
    assert.equal(await createModule().findByReference({ reference: 'op-44-order-1' }), null);
    scope.done();
  });

  it('findByReference skips a deleted match and takes the live one', async () => {
    const scope = expectCall(loggedInScope(), { func: 'soft', auth }, 'list-with-deleted-match.xml');
    expectCall(scope, { func: 'soft.edit', auth, elid: '7001' }, 'license.xml');
    const license = await createModule().findByReference({ reference: 'op-50-order-1' });
    assert.equal(license?.upstreamId, '7001');
    scope.done();
  });

  it('findByReference gives null when the match vanished before it was read', async () => {
    const scope = expectCall(loggedInScope(), { func: 'soft', auth }, 'list.xml');
    expectCall(scope, { func: 'soft.edit', auth, elid: '7002' }, 'error-missing.xml');
    assert.equal(await createModule().findByReference({ reference: 'op-43-order-1' }), null);
    scope.done();
  });

  it('changeIp sends soft.edit with ip and sok=ok', async () => {
    const scope = expectCall(
      loggedInScope(),
      { func: 'soft.edit', auth, elid: '7001', ip: '198.51.100.7', sok: 'ok' },
      'ok.xml',
    );
    await createModule().changeIp({ upstreamId: '7001', ip: '198.51.100.7' });
    scope.done();
  });

  it('changeIp refused by the monthly limit is UpstreamRejectedError limit/ip', async () => {
    const scope = expectCall(
      loggedInScope(),
      { func: 'soft.edit', auth, elid: '7001', ip: '198.51.100.7', sok: 'ok' },
      'error-limit-ip.xml',
    );
    const error = await rejectionOf(createModule().changeIp({ upstreamId: '7001', ip: '198.51.100.7' }));
    assert.ok(error instanceof UpstreamRejectedError);
    assert.equal(error.upstreamType, 'limit');
    assert.equal(error.upstreamObject, 'ip');
    assert.equal(error.code, 'upstream_limit');
    scope.done();
  });

  it('a change answered without <ok/> is a protocol error', async () => {
    const scope = expectCall(
      loggedInScope(),
      { func: 'soft.edit', auth, elid: '7001', ip: '198.51.100.7', sok: 'ok' },
      'license.xml',
    );
    const error = await rejectionOf(createModule().changeIp({ upstreamId: '7001', ip: '198.51.100.7' }));
    assert.ok(error instanceof UpstreamProtocolError);
    scope.done();
  });

  it('rename sends soft.edit with licname and sok=ok', async () => {
    const scope = expectCall(
      loggedInScope(),
      { func: 'soft.edit', auth, elid: '7001', licname: 'vps-2002 & co', sok: 'ok' },
      'ok.xml',
    );
    await createModule().rename({ upstreamId: '7001', name: 'vps-2002 & co' });
    scope.done();
  });

  it('regenerateKey presses newkey, then reads the new key back', async () => {
    const scope = expectCall(
      loggedInScope(),
      { func: 'soft.edit', auth, elid: '7001', clicked_button: 'newkey', sok: 'ok' },
      'ok.xml',
    );
    expectCall(scope, { func: 'soft.edit', auth, elid: '7001' }, 'license-newkey.xml');
    assert.deepEqual(await createModule().regenerateKey({ upstreamId: '7001' }), {
      activationKey: 'KEY-BBBB-2222-SECRET',
    });
    scope.done();
  });

  it('regenerateKey whose read-back fails still succeeds, without a key', async () => {
    const logger = new RecordingLogger();
    const scope = expectCall(
      loggedInScope(),
      { func: 'soft.edit', auth, elid: '7001', clicked_button: 'newkey', sok: 'ok' },
      'ok.xml',
    );
    scope.post('/manager/billmgr', { out: 'xml', func: 'soft.edit', auth, elid: '7001' }).reply(503);
    assert.deepEqual(await createModule({}, logger).regenerateKey({ upstreamId: '7001' }), { activationKey: null });
    assert.ok(logger.lines.some((line) => line.includes('not read back')));
    scope.done();
  });

  it('regenerateKey refused by the monthly limit is UpstreamRejectedError limit/lickey, with no read-back', async () => {
    const scope = expectCall(
      loggedInScope(),
      { func: 'soft.edit', auth, elid: '7001', clicked_button: 'newkey', sok: 'ok' },
      'error-limit-lickey.xml',
    );
    const error = await rejectionOf(createModule().regenerateKey({ upstreamId: '7001' }));
    assert.ok(error instanceof UpstreamRejectedError);
    assert.equal(error.upstreamObject, 'lickey');
    scope.done();
  });

  it('prolong sends service.prolong with the period in months', async () => {
    const scope = expectCall(
      loggedInScope(),
      { func: 'service.prolong', auth, elid: '7001', period: '1', sok: 'ok' },
      'ok.xml',
    );
    await createModule().prolong({ upstreamId: '7001', period: 1 });
    scope.done();
  });

  it('prolong for lifetime sends the configured string code', async () => {
    const scope = expectCall(
      loggedInScope(),
      { func: 'service.prolong', auth, elid: '7001', period: 'L', sok: 'ok' },
      'ok.xml',
    );
    await createModule({ periodCodes: { lifetime: 'L' } }).prolong({ upstreamId: '7001', period: 'lifetime' });
    scope.done();
  });

  it('prolong without money is UpstreamRejectedError balance', async () => {
    const scope = expectCall(
      loggedInScope(),
      { func: 'service.prolong', auth, elid: '7001', period: '12', sok: 'ok' },
      'error-balance.xml',
    );
    const error = await rejectionOf(createModule().prolong({ upstreamId: '7001', period: 12 }));
    assert.ok(error instanceof UpstreamRejectedError);
    assert.equal(error.code, 'upstream_balance');
    assert.equal(error.message, 'Not enough money on the account');
    scope.done();
  });

  it('suspend sends soft.suspend&elid', async () => {
    const scope = expectCall(loggedInScope(), { func: 'soft.suspend', auth, elid: '7001' }, 'ok.xml');
    await createModule().suspend({ upstreamId: '7001' });
    scope.done();
  });

  it('resume sends soft.resume&elid', async () => {
    const scope = expectCall(loggedInScope(), { func: 'soft.resume', auth, elid: '7001' }, 'ok.xml');
    await createModule().resume({ upstreamId: '7001' });
    scope.done();
  });

  it('remove sends soft.delete&elid&sok=ok', async () => {
    const scope = expectCall(loggedInScope(), { func: 'soft.delete', auth, elid: '7001', sok: 'ok' }, 'ok.xml');
    await createModule().remove({ upstreamId: '7001' });
    scope.done();
  });

  it('one session serves a sequence of operations', async () => {
    const scope = expectCall(loggedInScope(), { func: 'soft.suspend', auth, elid: '7001' }, 'ok.xml');
    expectCall(scope, { func: 'soft.resume', auth, elid: '7001' }, 'ok.xml');
    expectCall(scope, { func: 'soft.delete', auth, elid: '7001', sok: 'ok' }, 'ok.xml');
    const module = createModule();
    await module.suspend({ upstreamId: '7001' });
    await module.resume({ upstreamId: '7001' });
    await module.remove({ upstreamId: '7001' });
    scope.done();
  });
});
