import assert from 'node:assert/strict';
import pino from 'pino';
import { verifySignature } from '../../src/platform/signature';
import { CallbackDispatcher, type CallbackDispatcherOptions } from '../../src/queue/callback-dispatcher';
import { openFacts, startHarness, type Harness } from '../helpers/lifecycle';
import { startPlatformStub, type PlatformStub } from '../helpers/platform-stub';
import { TEST_HOOK_SECRET } from '../helpers/service';

interface CallbackRow {
  callback_state: string | null;
  callback_attempts: number;
  callback_next_at: string | null;
  callback_claim_owner: string | null;
}

/**
 * The dispatcher driven by the test (the harness has no callback URL, so it runs none of its own), on the harness's
 * database: claims, the total deadline and the reply-size cap.
 */
describe('callback delivery: one deliverer at a time, a total deadline, a reply cap', function () {
  this.timeout(40_000);
  let platform: PlatformStub;
  let h: Harness;

  beforeEach(async () => {
    platform = await startPlatformStub();
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
    await platform.close();
  });

  function dispatcher(options: Partial<CallbackDispatcherOptions> = {}) {
    return new CallbackDispatcher({
      url: platform.url,
      secret: TEST_HOOK_SECRET,
      callbacks: h.service.stores.callbacks,
      operations: h.service.stores.operations,
      logger: pino({ level: 'silent' }),
      timeoutMs: 5000,
      maxReplyBytes: 1024,
      ...options,
    });
  }

  /** Finished operations whose callback is due now, as `finishAttempt` leaves them when a callback URL is set. */
  async function finishedOperations(count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const op = await h.run('open', openFacts(`vps-cbd-${i}`));
      assert.equal(op.status, 'succeeded', JSON.stringify(op.error));
      ids.push(op.id);
    }
    await h.service.database
      .db('operations')
      .whereIn('id', ids)
      .update({ callback_state: 'pending', callback_next_at: new Date(Date.now() - 1000).toISOString() });
    return ids;
  }

  const row = async (id: string) => (await h.service.database.db('operations').where({ id }).first()) as CallbackRow;

  it('two dispatchers (as two workers) never deliver one callback at the same time', async () => {
    const ids = await finishedOperations(3);
    // Every answer takes a while, so that without a claim both dispatchers would be sending the same callbacks.
    for (let i = 0; i < 12; i++) platform.answers.push({ delayMs: 300 });
    const first = dispatcher();
    const second = dispatcher();
    await Promise.all([first.deliverDue(), second.deliverDue(), first.deliverDue(), second.deliverDue()]);

    for (const id of ids) {
      assert.equal(platform.mostAtOnce.get(id), 1, `operation ${id} was delivered by two dispatchers at once`);
      assert.equal(platform.of(id).length, 1, `operation ${id} delivered once`);
      const after = await row(id);
      assert.equal(after.callback_state, 'delivered');
      assert.equal(Number(after.callback_attempts), 1);
      assert.equal(after.callback_claim_owner, null, 'the claim is released');
    }
  });

  it("a crashed deliverer's claim expires; a live claim is left alone", async () => {
    const [crashed, live] = await finishedOperations(2);
    const db = h.service.database.db;
    await db('operations')
      .where({ id: crashed })
      .update({ callback_claim_owner: 'crashed', callback_claim_until: new Date(Date.now() - 1000).toISOString() });
    await db('operations')
      .where({ id: live })
      .update({ callback_claim_owner: 'busy', callback_claim_until: new Date(Date.now() + 60_000).toISOString() });
    await dispatcher().deliverDue();
    assert.equal(platform.of(crashed!).length, 1);
    assert.equal((await row(crashed!)).callback_state, 'delivered');
    assert.equal(platform.of(live!).length, 0, 'another deliverer holds it');
    assert.equal((await row(live!)).callback_state, 'pending');
  });

  it('a reply larger than the cap is a failed delivery, retried later', async () => {
    const [id] = await finishedOperations(1);
    platform.answers.push({ status: 200, body: Buffer.alloc(4096, 'a'), chunked: true });
    let clock = new Date();
    const capped = dispatcher({ maxReplyBytes: 1024, now: () => clock });
    await capped.deliverDue();
    const refused = await row(id!);
    assert.equal(refused.callback_state, 'pending', 'a 2xx with a reply past the cap is not delivered');
    assert.equal(Number(refused.callback_attempts), 1);
    assert.ok(new Date(refused.callback_next_at!).getTime() > clock.getTime(), 'tried again later');

    clock = new Date(refused.callback_next_at!);
    await capped.deliverDue();
    assert.equal((await row(id!)).callback_state, 'delivered', 'a small reply is delivered');
    assert.equal(platform.of(id!).length, 2);
  });

  it('a platform that trickles its reply past the deadline is a failed delivery, retried later', async () => {
    const [id] = await finishedOperations(1);
    // 40 bytes, one every 50 ms: about 2 s, each byte well inside any idle time-out, the whole far past 500 ms.
    platform.answers.push({ status: 200, body: Buffer.alloc(40, 'a'), trickleEveryMs: 50 });
    const started = Date.now();
    await dispatcher({ timeoutMs: 500 }).deliverDue();
    const took = Date.now() - started;
    assert.ok(took < 1500, `the delivery gave up at its deadline (took ${took} ms)`);
    const after = await row(id!);
    assert.equal(after.callback_state, 'pending');
    assert.equal(Number(after.callback_attempts), 1);
    assert.ok(after.callback_next_at, 'a retry is scheduled');
  });
});

describe('callbacks signed with platform.callbackSecret', function () {
  this.timeout(30_000);
  const CALLBACK_SECRET = 'callback-secret-0123456789abcdef';
  let platform: PlatformStub;
  let h: Harness;

  before(async () => {
    platform = await startPlatformStub();
    h = await startHarness({
      config: {
        platform: {
          callbackUrl: platform.url,
          callbackSecret: CALLBACK_SECRET,
          callbackTimeoutMs: 10_000,
          callbackMaxReplyBytes: 65_536,
        },
      },
    });
  });
  after(async () => {
    await h.close();
    await platform.close();
  });

  it('signs with the callback secret, not the hook secret', async () => {
    const op = await h.run('open', openFacts('vps-cbd-secret'));
    const deadline = Date.now() + 10_000;
    while (platform.of(op.id).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const [delivery] = platform.of(op.id);
    assert.ok(delivery, 'the callback was delivered');
    assert.deepEqual(verifySignature(CALLBACK_SECRET, delivery.signature, delivery.rawBody, 300), { ok: true });
    assert.equal(verifySignature(TEST_HOOK_SECRET, delivery.signature, delivery.rawBody, 300).ok, false);
  });
});
