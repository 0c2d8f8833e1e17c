import assert from 'node:assert/strict';
import {
  UpstreamProtocolError,
  UpstreamRejectedError,
  UpstreamUnavailableError,
} from '../../../src/domain/upstream-errors';
import { RecordingLogger, assertNoSecret, rejectionOf, renderError } from './helpers';
import { moduleFor, useSandbox } from './sandbox-helpers';

const order = { priceList: '4601', period: 1, ip: '203.0.113.20', name: 'vps-3003', reference: 'op-7-order-1' };

describe('billmanager module against the sandbox: faults and lost replies', () => {
  const sandbox = useSandbox();

  it('an order whose reply is lost after it was performed is found by findByReference', async () => {
    const module = moduleFor(sandbox());
    await module.checkConnection();
    sandbox().armFault({ kind: 'performThenDrop', func: 'soft.order.param' });
    const error = await rejectionOf(module.order(order));
    assert.ok(error instanceof UpstreamUnavailableError, String(error));
    assert.equal(error.retryable, true);

    const found = await module.findByReference({ reference: 'op-7-order-1' });
    assert.ok(found, 'the lost order is found upstream');
    const [upstream] = sandbox().licenses();
    assert.equal(sandbox().licenses().length, 1);
    assert.equal(found.upstreamId, upstream!.id);
    assert.deepEqual(
      [found.priceList, found.ip, found.name, found.status],
      ['4601', '203.0.113.20', 'vps-3003', 'active'],
    );
  });

  it('an order dropped before it was performed is not found, and nothing was charged', async () => {
    const module = moduleFor(sandbox());
    const balance = sandbox().balance();
    sandbox().armFault({ kind: 'drop', func: 'soft.order.param' });
    assert.ok((await rejectionOf(module.order(order))) instanceof UpstreamUnavailableError);
    assert.equal(await module.findByReference({ reference: 'op-7-order-1' }), null);
    assert.deepEqual(sandbox().licenses(), []);
    assert.equal(sandbox().balance(), balance);
  });

  it('an order that times out (slow reply, performed) is found afterwards', async () => {
    const module = moduleFor(sandbox(), { timeoutMs: 300 });
    sandbox().armFault({ kind: 'latency', ms: 1500, func: 'soft.order.param' });
    const error = await rejectionOf(module.order(order));
    assert.ok(error instanceof UpstreamUnavailableError, String(error));
    assert.match(error.message, /within 300 ms/);
    assert.equal((await module.findByReference({ reference: 'op-7-order-1' }))?.priceList, '4601');
  });

  it('a truncated order reply (performed) is a protocol error, and the order is found afterwards', async () => {
    const module = moduleFor(sandbox());
    sandbox().armFault({ kind: 'truncate', func: 'soft.order.param' });
    assert.ok((await rejectionOf(module.order(order))) instanceof UpstreamProtocolError);
    assert.ok(await module.findByReference({ reference: 'op-7-order-1' }));
  });

  for (const status of [500, 502, 503]) {
    it(`HTTP ${status} is UpstreamUnavailableError`, async () => {
      const module = moduleFor(sandbox());
      const { upstreamId } = await module.order(order);
      sandbox().armFault({ kind: 'http', status, func: 'soft.suspend' });
      assert.ok((await rejectionOf(module.suspend({ upstreamId }))) instanceof UpstreamUnavailableError);
      await module.suspend({ upstreamId });
      assert.equal((await module.get({ upstreamId })).status, 'suspended');
    });
  }

  it('a dropped connection is UpstreamUnavailableError', async () => {
    const module = moduleFor(sandbox());
    const { upstreamId } = await module.order(order);
    sandbox().armFault({ kind: 'drop', func: 'soft.edit' });
    const error = await rejectionOf(module.get({ upstreamId }));
    assert.ok(error instanceof UpstreamUnavailableError, String(error));
    assertNoSecret(renderError(error));
  });

  it('a dropped login is UpstreamUnavailableError, and the next call logs in', async () => {
    const module = moduleFor(sandbox());
    sandbox().armFault({ kind: 'drop', func: 'auth' });
    assert.ok((await rejectionOf(module.list())) instanceof UpstreamUnavailableError);
    assert.deepEqual(await module.list(), []);
  });

  it('garbage (a text page, HTTP 200) is UpstreamProtocolError', async () => {
    const module = moduleFor(sandbox());
    sandbox().armFault({ kind: 'garbage', func: 'soft' });
    assert.ok((await rejectionOf(module.list())) instanceof UpstreamProtocolError);
  });

  it('a truncated list is UpstreamProtocolError, never a shorter list', async () => {
    const module = moduleFor(sandbox());
    await module.order(order);
    await module.order({ ...order, reference: 'op-8-order-1', ip: '203.0.113.21' });
    sandbox().armFault({ kind: 'truncate', func: 'soft' });
    assert.ok((await rejectionOf(module.list())) instanceof UpstreamProtocolError);
    assert.equal((await module.list()).length, 2);
  });

  it('an injected error document is UpstreamRejectedError with its type and object', async () => {
    const module = moduleFor(sandbox());
    sandbox().armFault({ kind: 'error', type: 'access', object: 'soft', message: 'Access denied', func: 'soft' });
    const error = await rejectionOf(module.list());
    assert.ok(error instanceof UpstreamRejectedError);
    assert.deepEqual([error.upstreamType, error.upstreamObject, error.message], ['access', 'soft', 'Access denied']);
  });

  it('no fault leaks a secret into errors or logs (authinfo: the password is in every request)', async () => {
    const logger = new RecordingLogger();
    const module = moduleFor(sandbox(), { auth: 'authinfo', timeoutMs: 300 }, {}, logger);
    const password = sandbox().password;
    const kinds = [
      { kind: 'drop' },
      { kind: 'http', status: 500 },
      { kind: 'garbage' },
      { kind: 'truncate' },
      { kind: 'latency', ms: 1000 },
    ] as const;
    for (const fault of kinds) {
      sandbox().armFault({ ...fault, func: 'soft' });
      const rendered = renderError(await rejectionOf(module.list()));
      for (const secret of [password, encodeURIComponent(password), 'authinfo=']) {
        assert.ok(!rendered.includes(secret), `${fault.kind}: ${rendered}`);
      }
    }
    for (const line of logger.lines) assert.ok(!line.includes(password), line);
  });
});
