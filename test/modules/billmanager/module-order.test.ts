import assert from 'node:assert/strict';
import nock from 'nock';
import {
  ModuleConfigurationError,
  UpstreamProtocolError,
  UpstreamRejectedError,
} from '../../../src/domain/upstream-errors';
import { API_PATH, SESSION, createModule, expectCall, fixture, loggedInScope, rejectionOf, useNock } from './helpers';

const auth = SESSION;

describe('billmanager module: connection check and orders on the wire', () => {
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
        autoprolong: 'null',
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
        autoprolong: 'null',
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
    autoprolong: 'null',
    skipbasket: 'on',
    sok: 'ok',
    clicked_button: 'finish',
  };

  it('order tells the upstream not to renew by itself: autoprolong=null on the wire, whatever else is sent', async () => {
    // The raw url-encoded body: `autoprolong` sent once and `null`, never `1` or `12` (nor left to the default).
    let sent = '';
    const scope = loggedInScope()
      .post(API_PATH, (body: Record<string, string>) => body.func === 'soft.order.param')
      .reply(200, (_uri, raw) => {
        sent = String(raw);
        return fixture('order-ok.xml');
      });
    await createModule().order({ ...monthlyOrder, period: 12 });
    scope.done();
    assert.deepEqual(new URLSearchParams(sent).getAll('autoprolong'), ['null']);
    assert.equal(new URLSearchParams(sent).get('period'), '12');
  });

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
});
