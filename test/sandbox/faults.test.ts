import assert from 'node:assert/strict';
import type { SandboxHandle } from '../../src/sandbox/server';
import { ApiClient, errorOf, orderParams, parseDoc, startTestSandbox } from './helpers';

/** A POST that reports a failed connection instead of throwing. */
async function rawCall(
  sandbox: SandboxHandle,
  func: string,
  params: Record<string, string> = {},
): Promise<{ status: number; body: string } | { failed: true }> {
  const form = new URLSearchParams({
    out: 'xml',
    authinfo: `${sandbox.username}:${sandbox.password}`,
    func,
    ...params,
  });
  try {
    const response = await fetch(sandbox.apiUrl, { method: 'POST', body: form });
    return { status: response.status, body: await response.text() };
  } catch {
    return { failed: true };
  }
}

async function timed<T>(action: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await action();
  return [result, performance.now() - started];
}

describe('sandbox: faults', () => {
  let sandbox: SandboxHandle;
  let client: ApiClient;

  beforeEach(async () => {
    sandbox = await startTestSandbox();
    client = new ApiClient(sandbox);
  });
  afterEach(() => sandbox.close());

  const lastCall = () => sandbox.calls().at(-1)!;

  it('drop: destroys the socket without performing the call', async () => {
    sandbox.armFault({ kind: 'drop', func: 'soft.order.param' });
    const start = sandbox.balance();
    assert.deepEqual(await rawCall(sandbox, 'soft.order.param', orderParams()), { failed: true });
    assert.equal(sandbox.licenses().length, 0);
    assert.equal(sandbox.balance(), start);
    assert.equal(lastCall().outcome, 'fault');
    assert.equal(lastCall().fault, 'drop');
    assert.equal(lastCall().performed, false);
  });

  it('performThenDrop: the order really happens and is paid, but no reply comes', async () => {
    sandbox.armFault({ kind: 'performThenDrop', func: 'soft.order.param' });
    const start = sandbox.balance();
    assert.deepEqual(await rawCall(sandbox, 'soft.order.param', orderParams({ remoteid: 'lost-1' })), { failed: true });
    const [license] = sandbox.licenses();
    assert.equal(license?.remoteid, 'lost-1');
    assert.equal(sandbox.balance(), start - 100);
    assert.equal(lastCall().outcome, 'fault');
    assert.equal(lastCall().performed, true);
    assert.equal(lastCall().licenseId, license?.id);
  });

  it('http: answers the given status with a body that is not a document, without performing', async () => {
    sandbox.armFault({ kind: 'http', status: 503 });
    const reply = await rawCall(sandbox, 'soft.order.param', orderParams());
    assert.ok('status' in reply);
    assert.equal(reply.status, 503);
    assert.doesNotMatch(reply.body, /<doc>/);
    assert.equal(sandbox.licenses().length, 0);
  });

  it('error: answers the given error document without performing', async () => {
    sandbox.armFault({ kind: 'error', type: 'balance', object: 'balance', message: 'no money (fault)' });
    const reply = await client.call('soft.order.param', orderParams());
    assert.equal(reply.status, 200);
    assert.deepEqual(errorOf(reply), { type: 'balance', object: 'balance', msg: 'no money (fault)' });
    assert.equal(sandbox.licenses().length, 0);
    assert.equal(lastCall().errorType, 'balance');
    sandbox.armFault({ kind: 'error', type: 'access' });
    assert.deepEqual(errorOf(await client.call('soft')), { type: 'access', object: '', msg: 'Sandbox fault' });
  });

  it('garbage: HTTP 200 with a body that is not XML, without performing', async () => {
    sandbox.armFault({ kind: 'garbage' });
    const reply = await rawCall(sandbox, 'soft.order.param', orderParams());
    assert.ok('status' in reply);
    assert.equal(reply.status, 200);
    await assert.rejects(parseDoc(reply.body));
    assert.equal(sandbox.licenses().length, 0);
  });

  it('truncate: performs, then sends a cut-off document', async () => {
    sandbox.armFault({ kind: 'truncate', func: 'soft.order.param' });
    const reply = await rawCall(sandbox, 'soft.order.param', orderParams());
    assert.ok('status' in reply);
    assert.equal(reply.status, 200);
    assert.match(reply.body, /^<\?xml/);
    await assert.rejects(parseDoc(reply.body));
    assert.equal(sandbox.licenses().length, 1);
    assert.equal(lastCall().performed, true);
  });

  it('latency: delays one reply by the given time, performing the call normally', async () => {
    sandbox.armFault({ kind: 'latency', ms: 300 });
    const [reply, slow] = await timed(() => client.call('soft.order.param', orderParams()));
    assert.ok(slow >= 290, `took ${slow} ms`);
    assert.equal(reply.doc.ok, '');
    assert.equal(lastCall().outcome, 'ok');
    assert.equal(lastCall().fault, 'latency');
    const [, fast] = await timed(() => client.call('soft'));
    assert.ok(fast < 250, `took ${fast} ms`);
  });

  it('applies only to calls of the given func, for the given number of times', async () => {
    sandbox.armFault({ kind: 'error', type: 'access', func: 'soft.suspend', times: 2 });
    const id = await client.order();
    assert.equal(errorOf(await client.call('soft'))?.type, undefined);
    assert.equal(errorOf(await client.call('soft.suspend', { elid: id }))?.type, 'access');
    assert.equal(errorOf(await client.call('soft.suspend', { elid: id }))?.type, 'access');
    assert.equal(errorOf(await client.call('soft.suspend', { elid: id })), undefined);
  });

  it('applies the earliest armed matching fault first', async () => {
    sandbox.armFault({ kind: 'error', type: 'first' });
    sandbox.armFault({ kind: 'error', type: 'second' });
    assert.equal(errorOf(await client.call('soft'))?.type, 'first');
    assert.equal(errorOf(await client.call('soft'))?.type, 'second');
    assert.equal(errorOf(await client.call('soft')), undefined);
  });

  it('keeps an Infinity fault until clearFaults', async () => {
    sandbox.armFault({ kind: 'http', status: 502, times: Infinity });
    for (let i = 0; i < 5; i++) assert.equal(((await rawCall(sandbox, 'soft')) as { status: number }).status, 502);
    sandbox.clearFaults();
    assert.equal(errorOf(await client.call('soft')), undefined);
  });

  it('rejects a malformed fault', () => {
    assert.throws(() => sandbox.armFault({ kind: 'http', status: 42 }));
    assert.throws(() => sandbox.armFault({ kind: 'nonsense' } as never));
    assert.throws(() => sandbox.armFault({ kind: 'drop', times: 0 }));
  });

  it('setLatency adds to every API call, and latency starts from the options', async () => {
    sandbox.setLatency(200);
    const [, slow] = await timed(() => client.call('soft'));
    assert.ok(slow >= 195, `took ${slow} ms`);
    sandbox.setLatency(0);
    const [, fast] = await timed(() => client.call('soft'));
    assert.ok(fast < 150, `took ${fast} ms`);
    assert.throws(() => sandbox.setLatency(-1));
    const slowSandbox = await startTestSandbox({ latencyMs: 150 });
    try {
      const [, took] = await timed(() => new ApiClient(slowSandbox).call('soft'));
      assert.ok(took >= 145, `took ${took} ms`);
    } finally {
      await slowSandbox.close();
    }
  });

  it('closes promptly while a reply is being delayed', async () => {
    sandbox.setLatency(10_000);
    const pending = rawCall(sandbox, 'soft');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const [, took] = await timed(() => sandbox.close());
    assert.ok(took < 1000, `close took ${took} ms`);
    assert.deepEqual(await pending, { failed: true });
    sandbox = await startTestSandbox();
  });
});
