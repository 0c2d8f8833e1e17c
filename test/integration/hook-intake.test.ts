import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import net, { type AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import type { Knex } from 'knex';
import { signPayload } from '../../src/platform/signature';
import { createTestDatabase, testDatabaseKind, type TestDatabase } from '../helpers/database';
import { openFacts, startHarness, type Harness } from '../helpers/lifecycle';
import { TEST_HOOK_SECRET } from '../helpers/service';

/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers */
type Answer = { status: number; body: any };

interface Snapshot {
  operations: number;
  hookEvents: number;
  services: number;
  upstreamCalls: number;
}
const EMPTY: Snapshot = { operations: 0, hookEvents: 0, services: 0, upstreamCalls: 0 };

/** Longer than the relay's poll (200 ms in the harness): anything a request set in motion would have shown by then. */
const SETTLE_MS = 300;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const nowSeconds = () => Date.now() / 1000;

function hookBody(service: Record<string, unknown>, eventId: string = crypto.randomUUID()): string {
  return JSON.stringify({ eventId, service });
}

describe('hook intake: signatures, validation, idempotency, ordering', function () {
  this.timeout(60_000);
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h?.close();
  });

  /** Sends raw bytes to a hook path; signed with the test secret over exactly these bytes unless told otherwise. */
  function send(
    event: string,
    rawBody: string,
    options: { signature?: string | null; contentType?: string | null } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = {};
    const contentType = options.contentType === undefined ? 'application/json' : options.contentType;
    if (contentType !== null) headers['content-type'] = contentType;
    const signature = options.signature === undefined ? signPayload(TEST_HOOK_SECRET, rawBody) : options.signature;
    if (signature !== null) headers['x-signature'] = signature;
    return h.service.request('POST', `/v1/hooks/${event}`, { rawBody, headers, token: null });
  }

  async function snapshot(db: Knex = h.service.database.db): Promise<Snapshot> {
    const count = async (table: string) => Number(((await db(table).count({ n: '*' })) as Array<{ n: unknown }>)[0]!.n);
    return {
      operations: await count('operations'),
      hookEvents: await count('hook_events'),
      services: await count('services'),
      upstreamCalls: h.sandbox.calls().length,
    };
  }

  /** No row in operations or hook_events, no new services row, no upstream call, compared with `before`. */
  async function assertNothingChanged(before: Snapshot, db?: Knex): Promise<void> {
    await sleep(SETTLE_MS);
    assert.deepEqual(await snapshot(db), before, 'the rejected request changed nothing');
  }

  function assertError(answer: Answer, status: number, code?: string): void {
    assert.equal(answer.status, status, JSON.stringify(answer.body));
    assert.deepEqual(Object.keys(answer.body ?? {}), ['error'], JSON.stringify(answer.body));
    assert.deepEqual(Object.keys(answer.body.error).sort(), ['code', 'details', 'message']);
    assert.match(answer.body.error.code, /^[a-z][a-z0-9_]*$/);
    assert.equal(typeof answer.body.error.message, 'string');
    assert.ok(answer.body.error.message.length > 0, 'a message for a person');
    assert.doesNotMatch(JSON.stringify(answer.body), /\bat .*\.[jt]s:\d+/, 'never a stack trace');
    if (code !== undefined) assert.equal(answer.body.error.code, code);
  }

  /** A 400 whose details list an issue at `path` (e.g. `body.service.ip`). */
  function assertNamesField(answer: Answer, path: string): void {
    assertError(answer, 400, 'invalid_input');
    const issues: Array<{ path: string }> = answer.body.error.details?.issues ?? [];
    assert.ok(
      issues.some((issue) => issue.path === path),
      `details name ${path}: ${JSON.stringify(answer.body.error.details)}`,
    );
  }

  /** Expects a rejection on a fresh harness, and that nothing at all exists afterwards. */
  async function expectRejected(answer: Promise<Answer>, status: number, code?: string): Promise<Answer> {
    assert.deepEqual(await snapshot(), EMPTY, 'a fresh harness');
    const result = await answer;
    assertError(result, status, code);
    await assertNothingChanged(EMPTY);
    return result;
  }

  async function operationRow(id: string) {
    return h.service.database.db('operations').where({ id }).first();
  }

  describe('the signature', () => {
    const body = () => hookBody(openFacts('vps-sig'));

    it('missing X-Signature → 401 in the contract error shape, nothing changed', async () => {
      const answer = await expectRejected(send('open', body(), { signature: null }), 401, 'unauthorized');
      assert.equal(answer.body.error.details, null);
    });

    const hex64 = 'a'.repeat(64);
    const malformed: Array<[string, (t: number) => string]> = [
      ['garbage', () => 'garbage'],
      ['missing v1', (t) => `t=${t}`],
      ['missing t', () => `v1=${hex64}`],
      ['a non-numeric t', () => `t=soon,v1=${hex64}`],
      ['a non-hex v1', (t) => `t=${t},v1=${'z'.repeat(64)}`],
      ['a v1 one character short', (t) => `t=${t},v1=${hex64.slice(1)}`],
      ['a v1 two characters long', (t) => `t=${t},v1=${hex64}ab`],
      ['an empty v1', (t) => `t=${t},v1=`],
    ];
    for (const [what, header] of malformed) {
      it(`a malformed header (${what}) → 401, nothing changed`, async () => {
        await expectRejected(
          send('open', body(), { signature: header(Math.floor(nowSeconds())) }),
          401,
          'unauthorized',
        );
      });
    }

    it('a correct signature followed by junk in the v1 field is malformed → 401, nothing changed', async () => {
      const raw = body();
      const good = signPayload(TEST_HOOK_SECRET, raw);
      await expectRejected(send('open', raw, { signature: `${good}=junk` }), 401, 'unauthorized');
    });

    it('signed with another secret → 401, nothing changed', async () => {
      const raw = body();
      await expectRejected(send('open', raw, { signature: signPayload('another-secret-0123456789', raw) }), 401);
    });

    it('a signature over a different body → 401, nothing changed', async () => {
      const raw = body();
      const other = hookBody(openFacts('vps-other'));
      await expectRejected(send('open', raw, { signature: signPayload(TEST_HOOK_SECRET, other) }), 401);
    });

    it('a timestamp 301 s in the past → 401, nothing changed', async () => {
      const raw = body();
      const t = Math.floor(nowSeconds()) - 301; // at least 301 s old when checked
      await expectRejected(send('open', raw, { signature: signPayload(TEST_HOOK_SECRET, raw, t * 1000) }), 401);
    });

    it('a timestamp 301 s in the future → 401, nothing changed', async () => {
      const raw = body();
      const t = Math.ceil(nowSeconds()) + 301; // at least 301 s ahead at signing; the request takes well under 1 s
      await expectRejected(send('open', raw, { signature: signPayload(TEST_HOOK_SECRET, raw, t * 1000) }), 401);
    });

    it('a timestamp 299 s in the past is accepted (202)', async () => {
      const raw = body();
      const t = Math.ceil(nowSeconds()) - 299; // at most 299 s old at signing
      const answer = await send('open', raw, { signature: signPayload(TEST_HOOK_SECRET, raw, t * 1000) });
      assert.equal(answer.status, 202, JSON.stringify(answer.body));
      assert.equal(answer.body.status, 'queued');
      assert.equal((await snapshot()).operations, 1);
    });
  });

  describe('the route and the body', () => {
    it('an unknown event with a good signature → 404, nothing changed', async () => {
      await expectRejected(send('explode', hookBody({ id: 'vps-x' })), 404, 'not_found');
    });

    it('malformed JSON (signed) → 400 invalid_json, nothing changed', async () => {
      await expectRejected(send('open', '{"eventId": "e-1", "service": {'), 400, 'invalid_json');
    });

    it('content-type text/plain (signed) → 415, nothing changed', async () => {
      await expectRejected(
        send('open', hookBody(openFacts('vps-txt')), { contentType: 'text/plain' }),
        415,
        'unsupported_media_type',
      );
    });

    it('a body over 1 MiB → 413, nothing changed', async () => {
      const raw = JSON.stringify({
        eventId: 'evt-big',
        service: openFacts('vps-big'),
        padding: 'p'.repeat(1024 * 1024),
      });
      assert.ok(Buffer.byteLength(raw) > 1024 * 1024, 'over 1 MiB');
      await expectRejected(send('open', raw), 413, 'payload_too_large');
    });

    it('an empty body (signed) → 400, nothing changed', async () => {
      await expectRejected(send('open', ''), 400, 'invalid_input');
    });
  });

  describe('required fields', () => {
    for (const field of ['ip', 'tariffPlan', 'period', 'paidUntil']) {
      it(`open without ${field} → 400 naming it, nothing changed`, async () => {
        const answer = await expectRejected(send('open', hookBody(openFacts('vps-f', { [field]: undefined }))), 400);
        assertNamesField(answer, `body.service.${field}`);
      });
    }

    const badValues: Array<[string, string, unknown]> = [
      ['a bad IP', 'ip', '203.0.113.300'],
      ['an IP that is a host name', 'ip', 'vps.example.net'],
      ['period 0', 'period', 0],
      ['period "weekly"', 'period', 'weekly'],
      ['paidUntil a bare date', 'paidUntil', '2026-12-22'],
      ['paidUntil without an offset', 'paidUntil', '2026-12-22T00:00:00'],
      ['paidUntil a local date', 'paidUntil', '22.12.2026'],
    ];
    for (const [what, field, value] of badValues) {
      it(`open with ${what} → 400 naming ${field}, nothing changed`, async () => {
        const answer = await expectRejected(send('open', hookBody(openFacts('vps-f', { [field]: value }))), 400);
        assertNamesField(answer, `body.service.${field}`);
      });
    }

    const badEventIds: Array<[string, unknown]> = [
      ['missing', undefined],
      ['empty', ''],
      ['129 characters', 'e'.repeat(129)],
      ['a number', 123],
    ];
    for (const [what, eventId] of badEventIds) {
      it(`eventId ${what} → 400 naming it, nothing changed`, async () => {
        const raw = JSON.stringify({ eventId, service: openFacts('vps-e') });
        assertNamesField(await expectRejected(send('open', raw), 400), 'body.eventId');
      });
    }

    it('eventId of exactly 128 characters is accepted', async () => {
      const answer = await send('open', hookBody(openFacts('vps-e128'), 'e'.repeat(128)));
      assert.equal(answer.status, 202, JSON.stringify(answer.body));
    });

    it('prolong without paidUntil → 400 naming it, nothing changed', async () => {
      const answer = await expectRejected(send('prolong', hookBody({ id: 'vps-p', period: 1 })), 400);
      assertNamesField(answer, 'body.service.paidUntil');
    });

    it('suspend without service.id → 400 naming it, nothing changed', async () => {
      assertNamesField(await expectRejected(send('suspend', hookBody({})), 400), 'body.service.id');
    });

    it('setparam with nothing to change → 400, nothing changed', async () => {
      const answer = await expectRejected(send('setparam', hookBody({ id: 'vps-s' })), 400);
      assertNamesField(answer, 'body.service');
    });
  });

  describe('references to the catalog', () => {
    it('open with an unknown tariff plan → 422, nothing changed', async () => {
      const answer = await expectRejected(
        send('open', hookBody(openFacts('vps-r', { tariffPlan: 'no-such-plan' }))),
        422,
      );
      assert.equal(answer.body.error.details?.field, 'tariffPlan');
    });

    it('open with an unknown controlPanel value → 422, nothing changed', async () => {
      const answer = await expectRejected(send('open', hookBody(openFacts('vps-r', { controlPanel: 'cpanel' }))), 422);
      assert.equal(answer.body.error.details?.field, 'controlPanel');
    });

    it('setparam to an unknown value after an open → 422, nothing changed', async () => {
      const opened = await h.run('open', openFacts('vps-sp'));
      assert.equal(opened.status, 'succeeded', JSON.stringify(opened.error));
      const before = await snapshot();
      assert.deepEqual({ ...before, upstreamCalls: 0 }, { ...EMPTY, operations: 1, hookEvents: 1, services: 1 });
      const answer = await send('setparam', hookBody({ id: 'vps-sp', controlPanel: 'cpanel' }));
      assertError(answer, 422);
      assert.equal(answer.body.error.details?.field, 'controlPanel');
      await assertNothingChanged(before);
    });
  });

  describe('idempotency by eventId', () => {
    it('the same eventId and body again → 200 with the same operation, nothing new', async () => {
      const raw = hookBody(openFacts('vps-i1'), 'evt-i1');
      const first = await send('open', raw);
      assert.equal(first.status, 202, JSON.stringify(first.body));
      const again = await send('open', raw);
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.equal(again.body.operationId, first.body.operationId);
      await h.settled(first.body.operationId);
      const third = await send('open', raw);
      assert.equal(third.status, 200);
      assert.equal(third.body.operationId, first.body.operationId);
      const after = await snapshot();
      assert.deepEqual([after.operations, after.hookEvents, after.services], [1, 1, 1]);
      assert.deepEqual([...h.ordersByOperation()], [[first.body.operationId, 1]]);
    });

    it('the same eventId with a different body → 409, nothing changed', async () => {
      const first = await send('open', hookBody(openFacts('vps-i2'), 'evt-i2'));
      assert.equal(first.status, 202);
      await h.settled(first.body.operationId);
      const before = await snapshot();
      const changed = hookBody(openFacts('vps-i2', { ip: '198.51.100.99' }), 'evt-i2');
      const answer = await send('open', changed);
      assertError(answer, 409, 'event_conflict');
      await assertNothingChanged(before);
    });

    it('the same eventId and body sent as another event → 409, nothing changed', async () => {
      const raw = hookBody({ id: 'vps-i3' }, 'evt-i3');
      const first = await send('suspend', raw);
      assert.equal(first.status, 202);
      await h.settled(first.body.operationId);
      const before = await snapshot();
      assertError(await send('resume', raw), 409, 'event_conflict');
      await assertNothingChanged(before);
    });

    it('the same JSON in another key order and spacing → 200 with the same operation', async () => {
      const facts = openFacts('vps-i4');
      const first = await send('open', JSON.stringify({ eventId: 'evt-i4', service: facts }));
      assert.equal(first.status, 202);
      const reversed = Object.fromEntries(Object.entries(facts).reverse());
      const reordered = JSON.stringify({ service: reversed, eventId: 'evt-i4' }, null, 2);
      assert.notEqual(reordered, JSON.stringify({ eventId: 'evt-i4', service: facts }));
      const again = await send('open', reordered);
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.equal(again.body.operationId, first.body.operationId);
      const after = await snapshot();
      assert.deepEqual([after.operations, after.hookEvents], [1, 1]);
    });

    it("a replay answers with the operation's current status", async () => {
      const raw = hookBody(openFacts('vps-i5'), 'evt-i5');
      const first = await send('open', raw);
      assert.deepEqual(first.body, { operationId: first.body.operationId, status: 'queued' });
      const settled = await h.settled(first.body.operationId);
      assert.equal(settled.status, 'succeeded', JSON.stringify(settled.error));
      const replay = await send('open', raw);
      assert.equal(replay.status, 200);
      assert.deepEqual(replay.body, { operationId: first.body.operationId, status: 'succeeded' });

      // A failed operation is reported as failed on replay.
      h.sandbox.setBalance(0, 'reseller');
      const poorRaw = hookBody(openFacts('vps-i6'), 'evt-i6');
      const poor = await send('open', poorRaw);
      assert.equal((await h.settled(poor.body.operationId)).status, 'failed');
      assert.deepEqual((await send('open', poorRaw)).body, { operationId: poor.body.operationId, status: 'failed' });
    });
  });

  describe('concurrency', () => {
    it('the same signed open sent 25 times at once → one 202, the rest 200, one operation, one order', async () => {
      const raw = hookBody(openFacts('vps-c'), 'evt-c');
      const signature = signPayload(TEST_HOOK_SECRET, raw);
      const answers = await Promise.all(Array.from({ length: 25 }, () => send('open', raw, { signature })));
      const statuses = answers.map((a) => a.status);
      assert.equal(statuses.filter((s) => s === 202).length, 1, `statuses: ${statuses.join(',')}`);
      assert.equal(statuses.filter((s) => s === 200).length, 24, `statuses: ${statuses.join(',')}`);
      const ids = new Set(answers.map((a) => a.body.operationId));
      assert.equal(ids.size, 1, `operation ids: ${[...ids].join(',')}`);
      const [operationId] = ids;
      const settled = await h.settled(operationId);
      assert.equal(settled.status, 'succeeded', JSON.stringify(settled.error));
      await sleep(SETTLE_MS);
      const after = await snapshot();
      assert.deepEqual([after.operations, after.hookEvents, after.services], [1, 1, 1]);
      assert.deepEqual([...h.ordersByOperation()], [[operationId, 1]]);
      const orders = h.sandbox.calls().filter((c) => c.func === 'soft.order.param' && c.performed);
      assert.equal(orders.length, 1, 'exactly one order upstream');
      await h.assertInvariants();
    });
  });

  describe('ordering', () => {
    it('open, suspend, resume of one service get sequences 1, 2, 3 and are applied in that order', async () => {
      const ids: string[] = [];
      for (const [event, facts] of [
        ['open', openFacts('vps-o')],
        ['suspend', { id: 'vps-o' }],
        ['resume', { id: 'vps-o' }],
      ] as const) {
        const answer = await h.hook(event, facts);
        assert.equal(answer.status, 202, JSON.stringify(answer.body));
        ids.push(answer.body.operationId);
      }
      const ops = [];
      for (const id of ids) ops.push(await h.settled(id, ['succeeded', 'failed']));
      assert.deepEqual(
        ops.map((op) => [op.event, op.sequence, op.status, op.status === 'succeeded' ? null : op.error]),
        [
          ['open', 1, 'succeeded', null],
          ['suspend', 2, 'succeeded', null],
          ['resume', 3, 'succeeded', null],
        ],
      );
      const rows = await Promise.all(ids.map(operationRow));
      for (let i = 1; i < rows.length; i++) {
        assert.ok(rows[i - 1].finished_at < rows[i].finished_at, `operation ${i} finished before operation ${i + 1}`);
        assert.ok(ops[i - 1].updatedAt < ops[i].updatedAt, `operation ${i} updated before operation ${i + 1}`);
      }
      const funcs = h.sandbox
        .calls()
        .filter((c) => c.performed)
        .map((c) => c.func);
      const at = (func: string) => funcs.indexOf(func);
      assert.ok(at('soft.order.param') >= 0, `an order upstream: ${funcs.join(',')}`);
      assert.ok(at('soft.order.param') < at('soft.suspend'), `order before suspend: ${funcs.join(',')}`);
      assert.ok(at('soft.suspend') < at('soft.resume'), `suspend before resume: ${funcs.join(',')}`);
      assert.equal(funcs.lastIndexOf('soft.suspend'), at('soft.suspend'), 'suspended once');
    });

    it('hooks for different services run in parallel', async () => {
      h.sandbox.setLatency(300);
      const soloStart = Date.now();
      const solo = await h.run('open', openFacts('vps-solo', { ip: '198.51.100.200' }));
      const single = Date.now() - soloStart;
      assert.equal(solo.status, 'succeeded', JSON.stringify(solo.error));

      const ids = Array.from({ length: 6 }, (_, i) => `vps-par-${i}`);
      const start = Date.now();
      const answers = await Promise.all(
        ids.map((id, i) => h.hook('open', openFacts(id, { ip: `198.51.100.${10 + i}` }))),
      );
      assert.deepEqual(
        answers.map((a) => a.status),
        ids.map(() => 202),
      );
      const ops = await Promise.all(answers.map((a) => h.settled(a.body.operationId)));
      const total = Date.now() - start;
      assert.deepEqual(
        ops.map((op) => op.status),
        ids.map(() => 'succeeded'),
      );
      assert.ok(total < 3 * single, `6 services took ${total} ms; one took ${single} ms`);
      await h.assertInvariants();
    });
  });
});

describe('hook intake while the database is down', function () {
  this.timeout(60_000);

  /** A TCP relay in front of PostgreSQL that can be cut (listener closed, every connection destroyed) and restored. */
  async function startTcpRelay(target: { host: string; port: number }) {
    const sockets = new Set<net.Socket>();
    let server: net.Server | undefined;
    const listen = (port: number) =>
      new Promise<number>((resolve, reject) => {
        server = net.createServer((client) => {
          const upstream = net.connect(target.port, target.host);
          const drop = () => {
            client.destroy();
            upstream.destroy();
            sockets.delete(client);
            sockets.delete(upstream);
          };
          sockets.add(client).add(upstream);
          client.on('error', drop).on('close', drop);
          upstream.on('error', drop).on('close', drop);
          client.pipe(upstream).pipe(client);
        });
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => resolve((server!.address() as AddressInfo).port));
      });
    const port = await listen(0);
    const cut = async () => {
      const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      await closed;
    };
    return { port, cut, restore: () => listen(port).then(() => undefined) };
  }

  it('a hook answers 503 dependency_down and changes nothing; the same hook is accepted once it is back', async () => {
    const kind = testDatabaseKind();
    let own: TestDatabase | undefined;
    let relay: Awaited<ReturnType<typeof startTcpRelay>> | undefined;
    let lock: Database.Database | undefined;
    let h: Harness | undefined;
    try {
      let outage: () => Promise<void>;
      let recovery: () => Promise<void>;
      let db: Knex;
      if (kind === 'postgres') {
        // The service reaches its database through a relay that the test cuts.
        own = await createTestDatabase({ migrate: false });
        const direct = new URL(own.url);
        relay = await startTcpRelay({ host: direct.hostname, port: Number(direct.port || 5432) });
        const relayed = new URL(own.url);
        relayed.hostname = '127.0.0.1';
        relayed.port = String(relay.port);
        h = await startHarness({ config: { database: { url: relayed.toString() } } });
        db = own.db;
        outage = relay.cut;
        recovery = relay.restore;
      } else {
        // SQLite has no server to lose: another writer holds the lock past the service's busy timeout.
        h = await startHarness();
        const file = h.service.database.url.slice('sqlite:'.length);
        db = h.service.database.db;
        outage = async () => {
          lock = new Database(file);
          lock.exec('BEGIN IMMEDIATE');
        };
        recovery = async () => {
          lock!.exec('ROLLBACK');
          lock!.close();
          lock = undefined;
        };
      }
      const harness = h;
      const count = async (table: string) =>
        Number(((await db(table).count({ n: '*' })) as Array<{ n: unknown }>)[0]!.n);
      const state = async () => ({
        operations: await count('operations'),
        hookEvents: await count('hook_events'),
        services: await count('services'),
        upstreamCalls: harness.sandbox.calls().length,
      });
      assert.deepEqual(await state(), EMPTY);

      const raw = hookBody(openFacts('vps-down'), 'evt-down');
      const post = () =>
        harness.service.request('POST', '/v1/hooks/open', {
          rawBody: raw,
          token: null,
          headers: { 'content-type': 'application/json', 'x-signature': signPayload(TEST_HOOK_SECRET, raw) },
        });

      await outage();
      const started = Date.now();
      const answer = await post();
      const took = Date.now() - started;
      assert.equal(answer.status, 503, JSON.stringify(answer.body));
      assert.deepEqual(answer.body, {
        error: {
          code: 'dependency_down',
          message: answer.body.error.message,
          details: { dependency: 'database' },
        },
      });
      assert.ok(took < 15_000, `503 within 15 s (took ${took} ms)`);
      await recovery();
      await sleep(SETTLE_MS);
      assert.deepEqual(await state(), EMPTY, 'nothing changed during the outage');

      const accepted = await post();
      assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
      const settled = await harness.settled(accepted.body.operationId);
      assert.equal(settled.status, 'succeeded', JSON.stringify(settled.error));
      const after = await state();
      assert.deepEqual([after.operations, after.hookEvents, after.services], [1, 1, 1]);
      assert.deepEqual([...harness.ordersByOperation()], [[accepted.body.operationId, 1]]);
    } finally {
      if (lock) {
        lock.exec('ROLLBACK');
        lock.close();
      }
      await h?.close();
      await relay?.cut();
      await own?.destroy();
    }
  });
});
