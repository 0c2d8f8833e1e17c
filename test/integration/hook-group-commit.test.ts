import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import net from 'node:net';
import type { Knex } from 'knex';
import { configSchema } from '../../src/config/schema';
import { createDatabase } from '../../src/db/database';
import { KnexHookEventStore } from '../../src/db/hook-event-store';
import { KnexOperationStore } from '../../src/db/operation-store';
import { KnexServiceStore } from '../../src/db/service-store';
import { CatalogCache } from '../../src/lifecycle/catalog-cache';
import { HookIntake } from '../../src/lifecycle/intake';
import { IntakeGroupCommit, type AcceptedHook } from '../../src/lifecycle/intake-group-commit';
import { hookBodySchemas } from '../../src/platform/hook-schemas';
import { signPayload } from '../../src/platform/signature';
import { openFacts, startHarness, type Harness } from '../helpers/lifecycle';
import { TEST_HOOK_SECRET } from '../helpers/service';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON answer
type Answer = { status: number; body: any };

/** A TCP connection to the service, open before anything is sent on it. */
function connectedSocket(url: string): Promise<net.Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** One signed hook as one write on `socket`; resolves with the answer when the server closes the connection. */
function postOver(socket: net.Socket, path: string, body: unknown): Promise<Answer> {
  const json = JSON.stringify(body);
  const request = [
    `POST ${path} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Content-Type: application/json',
    `X-Signature: ${signPayload(TEST_HOOK_SECRET, json)}`,
    `Content-Length: ${Buffer.byteLength(json)}`,
    'Connection: close',
    '',
    json,
  ].join('\r\n');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const answered = new Promise<Answer>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const status = Number(text.slice(9, 12));
      resolve({ status, body: JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) });
    });
  });
  socket.write(request);
  return answered;
}

/** What one stretch of intake cost the database, as knex saw it. */
interface StatementCount {
  statements: number;
  commits: number;
}

/** Counts every statement knex sends on `db` (transaction control included) while `work` runs. */
async function countStatements(db: Knex, work: () => Promise<unknown>): Promise<StatementCount> {
  const count: StatementCount = { statements: 0, commits: 0 };
  const listener = (query: { sql: string }) => {
    count.statements++;
    if (/^\s*commit\b/i.test(query.sql)) count.commits++;
  };
  db.on('query', listener);
  try {
    await work();
  } finally {
    db.off('query', listener);
  }
  return count;
}

describe('hook intake: statements per hook and group commit', function () {
  this.timeout(60_000);
  let h: Harness;
  /** A connection of the test's own, so that only the intake's statements are counted on it. */
  let db: Knex;
  let intake: HookIntake;

  before(async () => {
    h = await startHarness({ role: 'api' });
    db = createDatabase(h.service.database.url);
    const catalog = new CatalogCache(h.service.stores, 60_000);
    intake = new HookIntake({
      db,
      services: new KnexServiceStore(db),
      operations: new KnexOperationStore(db),
      hookEvents: new KnexHookEventStore(db),
      tariffPlans: catalog.tariffPlans,
      enumerations: catalog.enumerations,
      periodComparisons: catalog.periodComparisons,
      now: () => new Date(),
      settings: { maxPaidAheadMonths: configSchema.parse({}).lifecycle.maxPaidAheadMonths },
    });
    // The catalog is read once and kept (as the service does): what is counted below is the hook's own cost.
    await intake.accept('open', openHook(`vps-warm-${crypto.randomUUID()}`));
  });
  after(async () => {
    await db?.destroy();
    await h?.close();
  });

  function openHook(serviceId: string, eventId: string = crypto.randomUUID()) {
    return hookBodySchemas.open.parse({ eventId, service: openFacts(serviceId) });
  }

  it('accepts a lone hook in at most 5 statements (3 writes between BEGIN and COMMIT) and one commit', async () => {
    for (const serviceId of [`vps-new-${crypto.randomUUID()}`, `vps-new-${crypto.randomUUID()}`]) {
      const first = await countStatements(db, () => intake.accept('open', openHook(serviceId)));
      // The service is known now: the next hook of it takes its next sequence number.
      const second = await countStatements(db, () => intake.accept('prolong', openHook(serviceId)));
      console.log(`      lone hook: ${JSON.stringify(first)}, then ${JSON.stringify(second)}`);
      for (const count of [first, second]) {
        assert.equal(count.commits, 1, JSON.stringify(count));
        assert.ok(count.statements <= 5, JSON.stringify(count));
      }
    }
  });

  it('writes hooks that arrive together in one transaction, and answers each only once it is on disk', async () => {
    const N = 20;
    const serviceIds = Array.from({ length: N }, (_, i) => `vps-burst-${i % 5}-${crypto.randomUUID().slice(0, 8)}`);
    // Connected first, then written in one go: the hooks reach the server together, as a platform's burst does.
    const sockets = await Promise.all(serviceIds.map(() => connectedSocket(h.service.url)));
    await new Promise((resolve) => setTimeout(resolve, 100)); // the server takes the connections in
    const onDisk: boolean[] = [];
    const count = await countStatements(h.service.db, () =>
      Promise.all(
        sockets.map(async (socket, i) => {
          const answer = await postOver(socket, '/v1/hooks/open', {
            eventId: crypto.randomUUID(),
            service: openFacts(serviceIds[i]!),
          });
          assert.equal(answer.status, 202, JSON.stringify(answer.body));
          // Read on another connection the moment the answer comes: the commit that holds it is behind us.
          const operation = await db('operations').where({ id: answer.body.operationId }).first();
          const event = await db('hook_events').where({ operation_id: answer.body.operationId }).first();
          onDisk.push(operation !== undefined && event !== undefined);
        }),
      ),
    );
    console.log(`      ${N} hooks at once: ${JSON.stringify(count)} (${(count.statements / N).toFixed(2)} per hook)`);
    assert.deepEqual(onDisk, Array(N).fill(true));
    assert.ok(count.commits < N, `${count.commits} commits for ${N} hooks`);
  });

  it('settles no write of a group while its COMMIT is held back, and all of them once it is done', async () => {
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    let reachGate!: () => void;
    const atGate = new Promise<void>((resolve) => (reachGate = resolve));
    let transactions = 0;
    // The door's only use of `db` is `transaction(handler)`; knex commits when the handler's promise resolves, so
    // awaiting the gate after the door's work holds the COMMIT back with every row of the group written.
    const gated = new Proxy(db, {
      get(target, key, receiver) {
        if (key !== 'transaction') return Reflect.get(target, key, receiver);
        return (work: (trx: Knex.Transaction) => Promise<unknown>) =>
          target.transaction(async (trx) => {
            transactions++;
            const result = await work(trx);
            reachGate();
            await gate;
            return result;
          });
      },
    });
    const door = new IntakeGroupCommit({ db: gated, ...h.service.stores, now: () => new Date() });
    const hooks: AcceptedHook[] = Array.from({ length: 5 }, (_, i) => {
      const body = openHook(`vps-gated-${i % 3}-${crypto.randomUUID().slice(0, 8)}`);
      const bodySha256 = crypto
        .createHash('sha256')
        .update(`open\n${JSON.stringify(body)}`)
        .digest('hex');
      return {
        eventId: body.eventId,
        event: 'open',
        bodySha256,
        operationId: crypto.randomUUID(),
        service: body.service,
      };
    });
    const ids = hooks.map((hook) => hook.operationId);
    const settled: string[] = [];
    const writes = hooks.map((hook) => door.write(hook).finally(() => settled.push(hook.operationId)));
    // A write that settles (or fails) without ever reaching the gate ends the wait too, and fails below. The gate
    // opens whatever happens, or a failed check would leave the transaction (and SQLite's write lock) held.
    try {
      await Promise.race([atGate, Promise.all(writes)]);
      await new Promise((resolve) => setTimeout(resolve, 200)); // time enough for an early answer to go out
      assert.deepEqual(settled, [], 'answered before the commit');
      // Another connection reads the last commit: PostgreSQL's read committed, or a second SQLite connection reading
      // the WAL file without waiting for the writer. Neither may see the group's rows yet.
      assert.equal((await h.service.db('operations').whereIn('id', ids)).length, 0, 'operations visible before COMMIT');
      assert.equal((await h.service.db('hook_events').whereIn('operation_id', ids)).length, 0, 'events before COMMIT');
      assert.deepEqual(settled, [], 'answered before the commit, while the rows were read');
    } finally {
      openGate();
    }
    const outcomes = await Promise.all(writes);
    assert.deepEqual(
      outcomes.map((outcome) => ('operation' in outcome ? outcome.operation.id : 'known')),
      ids,
    );
    assert.equal(transactions, 1, 'the hooks were written as one group');
    assert.equal((await h.service.db('operations').whereIn('id', ids)).length, ids.length);
    assert.equal((await h.service.db('hook_events').whereIn('operation_id', ids)).length, ids.length);
  });

  it('keeps a group apart from a hook of it that is a replay, a conflict or refused', async () => {
    const serviceId = `vps-mixed-${crypto.randomUUID()}`;
    const first = openHook(serviceId);
    const accepted = await intake.accept('open', first);
    const conflicting = { ...first, service: { ...first.service, ip: '198.51.100.7' } };
    const unknownPlan = hookBodySchemas.open.parse({
      eventId: crypto.randomUUID(),
      service: openFacts(`vps-bad-${crypto.randomUUID()}`, { tariffPlan: 'no-such-plan' }),
    });
    const fresh = Array.from({ length: 6 }, (_, i) => openHook(`${serviceId}-${i % 3}`));
    const duplicate = openHook(`vps-dup-${crypto.randomUUID()}`);
    const settled = await Promise.allSettled([
      intake.accept('open', first),
      intake.accept('open', conflicting),
      intake.accept('open', unknownPlan),
      ...fresh.map((body) => intake.accept('open', body)),
      intake.accept('open', duplicate),
      intake.accept('open', duplicate),
    ]);
    const [replay, conflict, refused, ...rest] = settled;
    assert.equal(replay!.status, 'fulfilled');
    assert.deepEqual(replay!.status === 'fulfilled' && [replay.value.replay, replay.value.operation.id], [
      true,
      accepted.operation.id,
    ]);
    assert.equal(conflict!.status === 'rejected' && (conflict.reason as { status: number }).status, 409);
    assert.equal(refused!.status === 'rejected' && (refused.reason as { status: number }).status, 422);
    const values = rest.map((r) => (r.status === 'fulfilled' ? r.value : assert.fail(String(r.reason))));
    assert.deepEqual(
      values.map((v) => v.replay),
      [...fresh.map(() => false), false, true].sort(),
      'every new hook written once; the duplicate is the same operation',
    );
    assert.equal(values.at(-1)!.operation.id, values.at(-2)!.operation.id);
    // Each service's operations are numbered in the order its hooks came.
    for (let i = 0; i < 3; i++) {
      const sequences = [i, i + 3].map((k) => values[k]!.operation.sequence);
      assert.deepEqual(sequences, [1, 2], `service ${i}: ${sequences}`);
    }
  });
});
