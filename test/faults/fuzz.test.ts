import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { findLicensingModule } from '../../modules';
import type { LicensingServerModule, ModuleLogger } from '../../src/domain/licensing-module';
import { HOOK_EVENTS } from '../../src/domain/lifecycle';
import { UpstreamError } from '../../src/domain/upstream-errors';
import { startHarness, type Harness } from '../helpers/lifecycle';
import { assertMoneyRules, note } from './support/exactly-once';
import {
  anyJson,
  hookShaped,
  nestedArray,
  postSigned,
  randomBytes,
  validHookBody,
  type RawAnswer,
} from './support/hook-fuzz';
import { ReplyServer } from './support/reply-server';
import {
  anyDocument,
  changePerformed,
  expectedLicense,
  expectedList,
  expectedOrderId,
  expectedSession,
  hasError,
  readDoc,
  validDocument,
  type ReplyKind,
} from './support/xml-fuzz';

/** Statuses the hook contract allows (besides 503 when the database is down, which it is not here). */
const CONTRACT_STATUSES = new Set([200, 202, 400, 409, 413, 415, 422]);
/** Runs per property (×2 for some); `FUZZ_RUNS=2000 npm run test:faults` for a long session. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 250);

describe('faults: fuzzed hook bodies, signed correctly, on every event path', function () {
  this.timeout(180_000);
  let h: Harness;

  before(async () => {
    // API only: accepted hooks stay queued, so the test sees exactly what intake did.
    h = await startHarness({ role: 'api' });
  });
  afterEach(async function () {
    // The money rules after every scenario (a failure here would stop the suite, so only after a passing test).
    if (this.currentTest?.state !== 'passed') return;
    await assertMoneyRules(h);
    assert.equal(h.sandbox.calls().length, 0, 'intake never calls the licensing server');
  });
  after(async () => {
    await h.close();
  });

  async function counts() {
    const db = h.service.database.db;
    const [ops] = await db('operations').count<Array<{ n: number | string }>>({ n: '*' });
    const [events] = await db('hook_events').count<Array<{ n: number | string }>>({ n: '*' });
    return { operations: Number(ops!.n), hookEvents: Number(events!.n) };
  }

  /** Sends one body to one event path and checks the answer against the contract and the database. */
  async function sendAndCheck(event: string, body: Buffer, contentType?: string): Promise<RawAnswer> {
    const before = await counts();
    const answer = await postSigned(`${h.service.url}/v1/hooks/${event}`, body, contentType);
    const after = await counts();
    const what = `${event} ${JSON.stringify(body.toString('utf8').slice(0, 300))} → ${answer.status} ${answer.text.slice(0, 300)}`;
    assert.ok(answer.status < 500, `never a 5xx: ${what}`);
    assert.ok(CONTRACT_STATUSES.has(answer.status), `a status of the contract: ${what}`);
    assert.ok(answer.json !== undefined, `the answer is JSON: ${what}`);
    const json = answer.json as Record<string, unknown>;
    if (answer.status >= 400) {
      const error = json.error as Record<string, unknown> | undefined;
      assert.ok(error && typeof error === 'object', `4xx carries {error}: ${what}`);
      assert.deepEqual(Object.keys(json), ['error'], `nothing but {error}: ${what}`);
      assert.ok(typeof error.code === 'string' && /^[a-z][a-z0-9_]*$/.test(error.code), `snake_case code: ${what}`);
      assert.ok(typeof error.message === 'string' && error.message.length > 0, `a message: ${what}`);
      assert.ok(Object.hasOwn(error, 'details'), `details (maybe null): ${what}`);
      assert.deepEqual(after, before, `a rejected body creates no operation and no hook event: ${what}`);
    } else if (answer.status === 202) {
      assert.equal(json.status, 'queued', what);
      assert.equal(typeof json.operationId, 'string', what);
      assert.deepEqual(after, { operations: before.operations + 1, hookEvents: before.hookEvents + 1 }, what);
    } else {
      assert.equal(typeof json.operationId, 'string', what);
      assert.deepEqual(after, before, `a replay creates nothing: ${what}`);
    }
    return answer;
  }

  async function stillAlive() {
    const health = await h.service.request('GET', '/healthz', { token: null });
    assert.equal(health.status, 200, 'the service still answers /healthz');
  }

  const events = fc.constantFrom(...HOOK_EVENTS);

  it('random JSON values: 4xx with the error shape (or 2xx for a valid one), never 5xx, never a stray operation', async () => {
    await fc.assert(
      fc.asyncProperty(events, anyJson, async (event, value) => {
        await sendAndCheck(event, Buffer.from(JSON.stringify(value) ?? 'null', 'utf8'));
      }),
      { numRuns: RUNS, includeErrorInReport: true },
    );
    await stillAlive();
  });

  it('objects shaped like hooks, with wrong types, missing and extra fields: never 5xx, never a stray operation', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(events, hookShaped, async (event, value) => {
        const answer = await sendAndCheck(event, Buffer.from(JSON.stringify(value) ?? 'null', 'utf8'));
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      }),
      { numRuns: RUNS * 2, includeErrorInReport: true },
    );
    await stillAlive();
    assert.ok((statuses.get(400) ?? 0) > 0, `wrong types were refused: ${JSON.stringify([...statuses])}`);
  });

  it('random bytes, cut-short JSON, BOMs and prototype keys: never 5xx, never a stray operation', async () => {
    await fc.assert(
      fc.asyncProperty(events, randomBytes, async (event, bytes) => {
        await sendAndCheck(event, bytes);
      }),
      { numRuns: RUNS, includeErrorInReport: true },
    );
    await stillAlive();
  });

  it('a signed body under another content type is refused (415) with the error shape', async () => {
    await fc.assert(
      fc.asyncProperty(
        events,
        fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data'),
        async (event, contentType) => {
          const body = Buffer.from(JSON.stringify(validHookBody(event, `ct-${contentType}`, 'fz-ct')));
          const answer = await sendAndCheck(event, body, contentType);
          assert.equal(answer.status, 415, answer.text);
        },
      ),
      { numRuns: 24, includeErrorInReport: true },
    );
  });

  for (const depth of [1_000, 20_000, 200_000]) {
    it(`a valid hook with an unknown field nested ${depth} deep: answered (not 5xx), the process lives`, async () => {
      const failures: string[] = [];
      for (const event of HOOK_EVENTS) {
        const valid = JSON.stringify(validHookBody(event, `deep-${depth}-${event}`, `fz-deep-${depth}`));
        const body = Buffer.from(`${valid.slice(0, -1)},"extra":${nestedArray(depth)}}`, 'utf8');
        try {
          await sendAndCheck(event, body);
        } catch (error) {
          failures.push(`${event}: ${(error as Error).message.split(' → ')[1] ?? (error as Error).message}`);
        }
      }
      await stillAlive();
      assert.deepEqual(failures, [], 'every event path answers a deeply nested (valid) hook without a 5xx');
    });
  }

  it('every event path still accepts a valid hook after the fuzzing (202, then 200 for the same eventId)', async () => {
    for (const event of HOOK_EVENTS) {
      const body = Buffer.from(JSON.stringify(validHookBody(event, `after-fuzz-${event}`, 'fz-after')));
      assert.equal((await sendAndCheck(event, body)).status, 202);
      assert.equal((await sendAndCheck(event, body)).status, 200);
    }
  });
});

/**
 * Strings that JSON and the hook schemas accept but a database may not store (PostgreSQL refuses U+0000 in text),
 * sent to a service WITH workers: each is refused at the door or carried through, and in every case the money rules
 * hold once everything settled: never a license ordered and paid upstream that the database does not know.
 */
describe('faults: hook strings the database may refuse (U+0000, lone surrogates), end to end', function () {
  this.timeout(120_000);
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  const cases: Array<{ what: string; event: string; body: (n: number) => Record<string, unknown> }> = [
    {
      what: 'an open whose host name carries U+0000',
      event: 'open',
      body: (n) => ({
        ...validHookBody('open', `nul-name-${n}`, `nul-name-${n}`),
        service: openService(n, { name: 'host\u0000.example.net' }),
      }),
    },
    {
      what: 'an open whose service id carries U+0000',
      event: 'open',
      body: (n) => ({ eventId: `nul-id-${n}`, service: openService(n, { id: `vps\u0000${n}` }) }),
    },
    {
      what: 'a suspend whose eventId carries U+0000',
      event: 'suspend',
      body: (n) => ({ eventId: `nul-event\u0000${n}`, service: { id: `nul-event-${n}` } }),
    },
    {
      what: 'an open whose host name carries a lone surrogate',
      event: 'open',
      body: (n) => ({ eventId: `surrogate-${n}`, service: openService(n, { name: 'host\ud800.example.net' }) }),
    },
  ];

  function openService(n: number, overrides: Record<string, unknown>) {
    return { ...(validHookBody('open', 'x', `svc-${n}`).service as Record<string, unknown>), ...overrides };
  }

  cases.forEach((c, n) => {
    it(`${c.what}: answered without a 5xx; refused, or carried through with the money rules kept`, async () => {
      const body = Buffer.from(JSON.stringify(c.body(n)), 'utf8');
      const answer = await postSigned(`${h.service.url}/v1/hooks/${c.event}`, body);
      const json = answer.json as { operationId?: string; error?: { code?: string } } | undefined;
      if (answer.status === 202) {
        const op = await h.settled(json!.operationId!, ['succeeded', 'failed', 'waiting'], 60_000);
        note(
          `${c.what}: 202, operation ${op.status} after ${op.attempts} attempt(s) ${op.error ? JSON.stringify(op.error).slice(0, 120) : ''}`,
        );
      } else {
        note(`${c.what}: ${answer.status} ${answer.text.slice(0, 120)}`);
      }
      await assertMoneyRules(h);
      assert.ok(answer.status < 500, `never a 5xx: ${answer.status} ${answer.text.slice(0, 200)}`);
      assert.ok(answer.status === 202 || json?.error?.code, `a refusal carries the error shape: ${answer.text}`);
    });
  });
});

const REFERENCE = 'op-fuzz.order.0';
const MISSING = '<doc><error type="missing" object="elid"><msg>no such license</msg></error></doc>';

/** One module call under fuzzing: which replies it reads (by `func`), and what a resolved result must match. */
interface FuzzedCall {
  name: string;
  invoke(module: LicensingServerModule): Promise<unknown>;
  /** Replies by `func` (`*` for any call); the first is the one under test. */
  replies(kind: 'valid' | 'any'): fc.Arbitrary<Record<string, string>>;
  /** Asserts that `result` is what the documents say; throws when they are no success reply. */
  check(docs: Record<string, unknown>, result: unknown): void;
  auth?: 'session';
}

function sameForAll(kind: ReplyKind): FuzzedCall['replies'] {
  return (which) => (which === 'valid' ? validDocument(kind) : anyDocument(kind)).map((doc) => ({ '*': doc }));
}

function changeCall(name: string, invoke: FuzzedCall['invoke']): FuzzedCall {
  return {
    name,
    invoke,
    replies: sameForAll('change'),
    check(docs, result) {
      assert.ok(changePerformed(docs['*']), `${name} read as done without <ok/> (or with an <error>)`);
      assert.equal(result, undefined);
    },
  };
}

const FUZZED_CALLS: FuzzedCall[] = [
  {
    name: 'order',
    invoke: (m) => m.order({ priceList: '3541', period: 12, ip: '203.0.113.5', name: 'vps-1', reference: REFERENCE }),
    replies: sameForAll('order'),
    check(docs, result) {
      const id = expectedOrderId(docs['*']);
      assert.ok(id !== null, 'an order read as done from a reply without a single readable <id>');
      assert.deepEqual(result, { upstreamId: id });
    },
  },
  {
    name: 'get',
    invoke: (m) => m.get({ upstreamId: '7001' }),
    replies: sameForAll('get'),
    check(docs, result) {
      const license = hasError(docs['*']) ? null : expectedLicense(docs['*'], '7001');
      assert.ok(license !== null, 'a license read from a reply without a valid id, pricelist, status and date');
      assert.deepEqual(result, license);
    },
  },
  {
    name: 'list',
    invoke: (m) => m.list(),
    replies: sameForAll('list'),
    check(docs, result) {
      const licenses = expectedList(docs['*']);
      assert.ok(licenses !== null, 'a list read from an error reply or one with an unreadable <elem>');
      assert.deepEqual(result, licenses);
    },
  },
  {
    name: 'findByReference',
    invoke: (m) => m.findByReference({ reference: REFERENCE }),
    replies: (which) =>
      fc.record({
        soft:
          which === 'valid'
            ? validDocument('list', { reference: REFERENCE })
            : fc.oneof(validDocument('list', { reference: REFERENCE }), anyDocument('list')),
        'soft.edit': fc.oneof(
          validDocument('get', { getId: null }),
          fc.constant(MISSING),
          ...(which === 'valid' ? [] : [anyDocument('get')]),
        ),
      }),
    check(docs, result) {
      // "Not found" decides that an order never happened (and so that it may be placed again): it must come from
      // a readable list, never from an unreadable reply.
      const listed = expectedList(docs.soft);
      assert.ok(listed !== null, 'findByReference answered from a list reply that is an error or unreadable');
      const candidates = listed.filter((l) => l.status !== 'deleted' && l.reference === REFERENCE);
      const edit = docs['soft.edit'];
      if (result === null) {
        for (const candidate of candidates) {
          const read = hasError(edit) ? null : expectedLicense(edit, candidate.upstreamId);
          const gone = kidsErrorType(edit) === 'missing' || read?.status === 'deleted';
          assert.ok(gone, `license ${candidate.upstreamId} carries the reference, yet "not found" was answered`);
        }
        return;
      }
      const match = candidates
        .map((c) => (hasError(edit) ? null : expectedLicense(edit, c.upstreamId)))
        .find((l) => l !== null && l.status !== 'deleted' && isDeepStrictEqual(l, result));
      assert.ok(match, `findByReference returned a license no reply describes: ${JSON.stringify(result)}`);
    },
  },
  changeCall('suspend', (m) => m.suspend({ upstreamId: '7001' })),
  changeCall('resume', (m) => m.resume({ upstreamId: '7001' })),
  changeCall('remove', (m) => m.remove({ upstreamId: '7001' })),
  changeCall('prolong', (m) => m.prolong({ upstreamId: '7001', period: 12 })),
  changeCall('changeIp', (m) => m.changeIp({ upstreamId: '7001', ip: '203.0.113.6' })),
  changeCall('rename', (m) => m.rename({ upstreamId: '7001', name: 'vps-2' })),
  {
    name: 'regenerateKey',
    invoke: (m) => m.regenerateKey({ upstreamId: '7001' }),
    replies: (which) =>
      fc.record({
        'soft.edit': which === 'valid' ? validDocument('change') : anyDocument('change'),
      }),
    check(docs, result) {
      // The same reply answers the change and the read-back: a key is only read from a valid license record.
      const doc = docs['soft.edit'];
      assert.ok(changePerformed(doc), 'a new key read as made without <ok/> (or with an <error>)');
      const license = expectedLicense(doc, '7001');
      // The read-back is returned whole (status and expiry spare the caller a read of its own), or null if unread.
      assert.deepEqual(result, { activationKey: license?.activationKey ?? null, license });
    },
  },
  {
    name: 'checkConnection',
    invoke: (m) => m.checkConnection(),
    replies: sameForAll('list'),
    check(docs) {
      assert.ok(!hasError(docs['*']), 'the connection read as working from an error reply');
    },
  },
  {
    name: 'checkConnection with session auth',
    auth: 'session',
    invoke: (m) => m.checkConnection(),
    replies: (which) =>
      fc.record({
        auth: which === 'valid' ? validDocument('auth') : fc.oneof(validDocument('auth'), anyDocument('auth')),
        soft: which === 'valid' ? validDocument('list') : anyDocument('list'),
      }),
    check(docs) {
      assert.ok(expectedSession(docs.auth) !== null, 'logged in from a reply without a session id');
      assert.ok(!hasError(docs.soft), 'the connection read as working from an error reply');
    },
  },
];

function kidsErrorType(doc: unknown): string | undefined {
  const errors = (doc as { error?: Array<{ $?: { type?: unknown } }> } | undefined)?.error;
  const type = Array.isArray(errors) ? errors[0]?.$?.type : undefined;
  return typeof type === 'string' ? type : undefined;
}

describe('faults: fuzzed BILLmanager XML replies to the billmanager module', function () {
  this.timeout(180_000);
  let server: ReplyServer;
  const definition = findLicensingModule('billmanager')!;
  const logger: ModuleLogger = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
  };

  before(async () => {
    server = await ReplyServer.start();
  });
  after(async () => {
    await server.close();
    const probe: Record<string, unknown> = {};
    assert.equal(probe.polluted, undefined, 'no prototype was polluted');
    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'status'), false, 'no prototype was polluted');
  });

  function moduleFor(auth: 'authinfo' | 'session'): LicensingServerModule {
    const settings = definition.parseSettings({ auth, timeoutMs: 2_000 });
    return definition.create({ url: server.url, username: 'reseller', password: 'pw', settings }, { logger });
  }

  /** Serves `replies`, calls, and returns how it went: the result, or the error (which must be an UpstreamError). */
  async function callWith(call: FuzzedCall, replies: Record<string, string>) {
    server.respond = (form) => replies[form.get('func') ?? ''] ?? replies['*'] ?? MISSING;
    const module = moduleFor(call.auth ?? 'authinfo');
    const firstCall = server.funcs.length;
    try {
      const result = await call.invoke(module);
      const funcs = new Set(server.funcs.slice(firstCall).map((func) => (func in replies ? func : '*')));
      return { ok: true as const, result, funcs };
    } catch (error) {
      assert.ok(
        error instanceof UpstreamError,
        `${call.name} threw ${(error as Error)?.name}: ${(error as Error)?.message} — not an UpstreamError; replies ${JSON.stringify(replies)}`,
      );
      return { ok: false as const, error };
    }
  }

  async function parsedDocs(replies: Record<string, string>) {
    const docs: Record<string, unknown> = {};
    for (const [func, text] of Object.entries(replies)) docs[func] = (await readDoc(text))?.doc;
    return docs;
  }

  for (const call of FUZZED_CALLS) {
    it(`${call.name}: documented success replies are read, and read right`, async () => {
      await fc.assert(
        fc.asyncProperty(call.replies('valid'), async (replies) => {
          const outcome = await callWith(call, replies);
          assert.ok(
            outcome.ok,
            `${call.name} refused a valid reply: ${outcome.ok ? '' : (outcome.error as Error).message} — ${JSON.stringify(replies)}`,
          );
          call.check(await parsedDocs(replies), outcome.result);
        }),
        { numRuns: Math.ceil(RUNS / 2), includeErrorInReport: true },
      );
    });

    it(`${call.name}: random and mutated replies throw only UpstreamErrors and never read as success unless valid`, async () => {
      const seen = { successes: 0, refusals: 0 };
      await fc.assert(
        fc.asyncProperty(call.replies('any'), async (replies) => {
          const outcome = await callWith(call, replies);
          seen[outcome.ok ? 'successes' : 'refusals']++;
          if (!outcome.ok) return;
          const docs = await parsedDocs(replies);
          for (const func of outcome.funcs) {
            const readable = docs[func] !== undefined;
            assert.ok(readable, `${call.name} succeeded on an unreadable ${func} reply: ${JSON.stringify(replies)}`);
          }
          try {
            call.check(docs, outcome.result);
          } catch (error) {
            throw new Error(`${(error as Error).message}; replies ${JSON.stringify(replies)}`);
          }
        }),
        { numRuns: RUNS * 2, includeErrorInReport: true },
      );
      assert.ok(seen.successes > 0 && seen.refusals > 0, `both outcomes were exercised: ${JSON.stringify(seen)}`);
    });
  }

  it('an order reply whose <id> is not a whole number is not read as an order', async () => {
    const call = FUZZED_CALLS.find((c) => c.name === 'order')!;
    const accepted: string[] = [];
    for (const id of ['abc', '12a', '-5', '1.5', '0x10', '1e3', '١٢٣', 'null', '7001 7002']) {
      const outcome = await callWith(call, { '*': `<doc><ok/><id>${id}</id></doc>` });
      if (outcome.ok) accepted.push(`${id} → ${JSON.stringify(outcome.result)}`);
    }
    assert.deepEqual(accepted, [], 'order ids the upstream never gives were read as ordered licenses');
  });
});
