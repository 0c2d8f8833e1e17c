import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { UpstreamActionRecord, UpstreamActionStore } from '../../src/db/upstream-action-store';
import { AttemptActions } from '../../src/lifecycle/attempt-actions';
import { openFacts, startHarness, type Harness } from '../helpers/lifecycle';
import { lifecycleDepsFor } from '../helpers/lifecycle-deps';
import { countStatements } from '../helpers/statement-count';

type NewAction = Parameters<UpstreamActionStore['insertIntended']>[0];

/**
 * AttemptActions against the service's own KnexUpstreamActionStore: which reads reach the database, and that the copy
 * it keeps is what the database holds after commits, rollbacks and callers that change what they were given.
 */
describe('attempt actions: one operation’s upstream actions in front of the store', function () {
  this.timeout(60_000);
  let h: Harness;
  let db: Knex;
  let store: UpstreamActionStore;

  before(async () => {
    h = await startHarness({ role: 'api' });
    db = h.service.db;
    store = lifecycleDepsFor(h.service).upstreamActions;
  });
  after(async () => {
    await h?.close();
  });

  /** A new operation (by an `open` hook) to hang actions on. */
  async function newOperation(): Promise<string> {
    const answer = await h.hook('open', openFacts(`attempt-${crypto.randomUUID().slice(0, 8)}`));
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    return answer.body.operationId as string;
  }

  function orderOf(operationId: string, n = 1, request: Record<string, unknown> = { period: 12 }): NewAction {
    const reference = `${operationId}.order.${n}`;
    return { id: crypto.randomUUID(), operationId, licenseId: null, kind: 'order', reference, request };
  }

  /** Commits `action` as intended, then settled `done`, in one transaction. */
  async function writeDone(actions: UpstreamActionStore, action: NewAction, response: Record<string, unknown>) {
    await db.transaction(async (trx) => {
      await actions.insertIntended(action, new Date(), trx);
      await actions.settle(action.reference, 'done', response, new Date(Date.now() + 1), trx);
    });
  }

  /**
   * What `read` returns, and how many statements it sent on the store's database. Only statements on
   * `upstream_actions` count: the relay's periodic pass runs on the same database beside the test.
   */
  async function counted<T>(read: () => Promise<T>): Promise<{ value: T; statements: number }> {
    const counter = countStatements(db, (s) => !/upstream_actions/i.test(s.sql));
    try {
      const value = await read();
      return { value, statements: counter.stop().work };
    } catch (error) {
      counter.stop();
      throw error;
    }
  }

  it('reads nothing on a first attempt: before the first claim no action can exist', async () => {
    const operationId = await newOperation();
    const actions = new AttemptActions(store, operationId, 1);
    const listed = await counted(() => actions.listByOperation(operationId));
    assert.deepEqual(listed, { value: [], statements: 0 });
    const byReference = await counted(() => actions.getByReference(`${operationId}.order.1`));
    assert.deepEqual(byReference, { value: null, statements: 0 });
  });

  it('serves a committed write from its copy, as the store reads it back', async () => {
    const operationId = await newOperation();
    const actions = new AttemptActions(store, operationId, 1);
    const order = orderOf(operationId);
    await writeDone(actions, order, { licenseId: 'L-1', price: { amount: 10 } });
    const listed = await counted(() => actions.listByOperation(operationId));
    assert.equal(listed.statements, 0, 'read from the database after a write of its own');
    const stored = await store.listByOperation(operationId);
    assert.equal(stored.length, 1);
    assert.equal(stored[0]!.state, 'done');
    assert.deepEqual(listed.value, stored);
    const byReference = await counted(() => actions.getByReference(order.reference));
    assert.deepEqual(byReference, { value: stored[0], statements: 0 });
    const byPrefix = await counted(() => actions.listByPrefix(operationId, `${operationId}.order.`));
    assert.deepEqual(byPrefix, { value: stored, statements: 0 });
  });

  it('forgets its copy when a write rolls back, and reads the database again once', async () => {
    const operationId = await newOperation();
    const actions = new AttemptActions(store, operationId, 1);
    const kept = orderOf(operationId, 1);
    await writeDone(actions, kept, { licenseId: 'L-1' });
    const undone = orderOf(operationId, 2);
    await assert.rejects(
      db.transaction(async (trx) => {
        await actions.insertIntended(undone, new Date(), trx);
        throw new Error('rolled back on purpose');
      }),
      /rolled back on purpose/,
    );
    const reread = await counted(() => actions.listByOperation(operationId));
    assert.equal(reread.statements, 1, 'the next read goes to the database');
    assert.deepEqual(reread.value, await store.listByOperation(operationId));
    assert.deepEqual(
      reread.value.map((action) => action.reference),
      [kept.reference],
    );
    const again = await counted(() => actions.getByReference(undone.reference));
    assert.deepEqual(again, { value: null, statements: 0 }, 'after that read, the copy serves again');
  });

  it('reads the database once on a later attempt, then serves from its copy', async () => {
    const operationId = await newOperation();
    // What an earlier attempt left: one action settled, one only intended (its call's outcome unknown).
    const earlier = new AttemptActions(store, operationId, 1);
    await writeDone(earlier, orderOf(operationId, 1), { licenseId: 'L-1' });
    await db.transaction((trx) => earlier.insertIntended(orderOf(operationId, 2), new Date(), trx));

    const actions = new AttemptActions(store, operationId, 2);
    const stored = await store.listByOperation(operationId);
    assert.equal(stored.length, 2);
    const first = await counted(() => actions.listByOperation(operationId));
    assert.deepEqual(first, { value: stored, statements: 1 });
    const second = await counted(() => actions.listByOperation(operationId));
    assert.deepEqual(second, { value: stored, statements: 0 });
    const byReference = await counted(() => actions.getByReference(`${operationId}.order.2`));
    assert.deepEqual(byReference, { value: stored[1], statements: 0 });
  });

  it('keeps its copy when a caller changes a record it was given', async () => {
    const operationId = await newOperation();
    const actions = new AttemptActions(store, operationId, 1);
    const order = orderOf(operationId, 1, { period: 12, options: { panel: 'isp-lite' } });
    await writeDone(actions, order, { licenseId: 'L-1', key: { value: 'abc' } });
    const stored = await store.listByOperation(operationId);

    const listed = await actions.listByOperation(operationId);
    const record: UpstreamActionRecord = listed[0]!;
    record.state = 'failed';
    record.request.period = 1;
    (record.request.options as Record<string, unknown>).panel = 'changed';
    (record.response!.key as Record<string, unknown>).value = 'changed';
    listed.pop();
    const single = (await actions.getByReference(order.reference))!;
    single.response = null;
    single.request.period = 2;

    const after = await counted(() => actions.listByOperation(operationId));
    assert.deepEqual(after, { value: stored, statements: 0 });
    assert.deepEqual(await actions.getByReference(order.reference), stored[0]);
  });
});
