import assert from 'node:assert/strict';
import pino from 'pino';
import { verifySignature } from '../../src/platform/signature';
import { CallbackDispatcher } from '../../src/queue/callback-dispatcher';
import { openFacts, startHarness, type Harness } from '../helpers/lifecycle';
import { startPlatformStub, sleep, type Delivery, type PlatformStub } from '../helpers/platform-stub';
import { TEST_HOOK_SECRET } from '../helpers/service';

async function eventually<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 12_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('callbacks to the platform for finished operations', function () {
  this.timeout(30_000);
  let platform: PlatformStub;
  let h: Harness;

  beforeEach(async () => {
    platform = await startPlatformStub();
    h = await startHarness({
      config: { platform: { callbackUrl: platform.url, callbackTimeoutMs: 10_000, callbackMaxReplyBytes: 65_536 } },
    });
  });
  afterEach(async () => {
    await h.close();
    await platform.close();
  });

  async function callbackRow(operationId: string) {
    return (await h.service.database.db('operations').where({ id: operationId }).first()) as {
      callback_state: string | null;
      callback_attempts: number;
      callback_next_at: string | null;
    };
  }

  function assertSigned(delivery: Delivery) {
    const verdict = verifySignature(TEST_HOOK_SECRET, delivery.signature, delivery.rawBody, 300);
    assert.deepEqual(verdict, { ok: true }, `signature ${delivery.signature} verifies with the hook secret`);
    assert.equal(verifySignature('another-secret-0123456789', delivery.signature, delivery.rawBody, 300).ok, false);
    assert.match(delivery.contentType ?? '', /^application\/json/);
  }

  it('POSTs every finished operation, succeeded or failed, signed like hooks, with the operation view', async () => {
    const opened = await h.run('open', openFacts('vps-cb-1'));
    assert.equal(opened.status, 'succeeded');
    const suspended = await h.run('suspend', { id: 'vps-cb-1' });
    assert.equal(suspended.status, 'succeeded');
    h.sandbox.setBalance(0, 'reseller');
    const failed = await h.run('open', openFacts('vps-cb-2'));
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error.code, 'upstream_balance');

    for (const op of [opened, suspended, failed]) {
      const [delivery] = await eventually(`the callback of ${op.event} ${op.id}`, () => {
        const found = platform.of(op.id);
        return found.length > 0 && found;
      });
      assertSigned(delivery!);
      const view = (await h.service.request('GET', `/v1/operations/${op.id}`)).body;
      // `updatedAt` moves when the delivery is recorded; everything else is the operation as GET shows it.
      assert.deepEqual({ ...delivery!.body, updatedAt: null }, { ...view, updatedAt: null });
      assert.equal(delivery!.body.status, op.status);
    }
    const failedDelivery = platform.of(failed.id)[0]!;
    assert.deepEqual(failedDelivery.body.error, failed.error, 'a failure says why');
    assert.equal(failedDelivery.body.result, null);
    assert.equal(platform.of(opened.id)[0]!.body.result && typeof platform.of(opened.id)[0]!.body.result, 'object');

    // Delivered means done: after another dispatcher period (2 s) nothing was sent twice.
    await sleep(2500);
    for (const op of [opened, suspended, failed]) {
      assert.equal(platform.of(op.id).length, 1, `${op.event} ${op.id} delivered once`);
      const row = await callbackRow(op.id);
      assert.equal(row.callback_state, 'delivered');
      assert.equal(Number(row.callback_attempts), 1);
    }
    assert.equal(platform.deliveries.length, 3, 'only finished operations are delivered');
  });

  it('retries a delivery the platform refuses (500) until it answers 2xx', async () => {
    platform.answers.push({ status: 500 }, { status: 500 });
    const op = await h.run('open', openFacts('vps-cb-3'));
    assert.equal(op.status, 'succeeded');

    const deliveries = await eventually(
      'a delivery answered 2xx',
      () => {
        const found = platform.of(op.id);
        return found.some((d) => d.answered === 200) && found;
      },
      14_000,
    );
    assert.deepEqual(
      deliveries.map((d) => d.answered),
      [500, 500, 200],
    );
    for (const delivery of deliveries) assertSigned(delivery);
    for (let i = 1; i < deliveries.length; i++) {
      const gap = deliveries[i]!.at - deliveries[i - 1]!.at;
      assert.ok(gap >= 900, `a retry waits (gap ${gap} ms)`);
    }
    assert.deepEqual(
      deliveries.map((d) => d.body.status),
      ['succeeded', 'succeeded', 'succeeded'],
    );
    // The platform saw the 200 before the dispatcher recorded it: wait for the record, not for a moment.
    const row = await eventually(
      'the delivery recorded',
      async () => {
        const current = await callbackRow(op.id);
        return current.callback_state === 'delivered' && current;
      },
      5000,
    );
    assert.equal(Number(row.callback_attempts), 3);
    assert.equal(row.callback_next_at, null);
  });
});

/**
 * The dispatcher on its own, on the harness's database, with a clock the test moves: each refused delivery should
 * wait longer than the one before ("retried with back-off", CONTRACT.md).
 */
describe('callback back-off', function () {
  this.timeout(30_000);
  let platform: PlatformStub;
  let h: Harness;

  beforeEach(async () => {
    platform = await startPlatformStub();
    // No callbackUrl: the harness runs no dispatcher of its own; the test drives one.
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
    await platform.close();
  });

  it('waits longer after each refused delivery (base 2 s, doubling)', async () => {
    const op = await h.run('open', openFacts('vps-cb-4'));
    assert.equal(op.status, 'succeeded');
    assert.equal(op.attempts, 1);
    let clock = new Date();
    // What finishAttempt writes for a finished operation when a callback URL is configured.
    await h.service.database
      .db('operations')
      .where({ id: op.id })
      .update({ callback_state: 'pending', callback_next_at: clock.toISOString() });
    const dispatcher = new CallbackDispatcher({
      url: platform.url,
      secret: TEST_HOOK_SECRET,
      callbacks: h.service.stores.callbacks,
      operations: h.service.stores.operations,
      logger: pino({ level: 'silent' }),
      timeoutMs: 10_000,
      maxReplyBytes: 65_536,
      now: () => clock,
    });

    platform.answers.push({ status: 500 }, { status: 500 }, { status: 500 }, { status: 500 });
    const delays: number[] = [];
    for (let refused = 1; refused <= 4; refused++) {
      await dispatcher.deliverDue();
      const row = (await h.service.database.db('operations').where({ id: op.id }).first()) as {
        callback_attempts: number;
        callback_next_at: string;
      };
      assert.equal(Number(row.callback_attempts), refused);
      const next = new Date(row.callback_next_at);
      delays.push(next.getTime() - clock.getTime());
      clock = next;
    }
    assert.equal(platform.of(op.id).length, 4);
    // retryDelayMs(n, base 2000) lies in [1000·2^(n-1), 2000·2^(n-1)].
    delays.forEach((delay, i) =>
      assert.ok(
        delay >= 1000 * 2 ** i,
        `refused delivery ${i + 1} waits ${delay} ms; expected at least ${1000 * 2 ** i} ms (delays ${delays.join(', ')})`,
      ),
    );

    await dispatcher.deliverDue();
    assert.equal((await h.service.database.db('operations').where({ id: op.id }).first()).callback_state, 'delivered');
  });
});
