import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { INTERNAL_ERROR_MESSAGE } from '../../src/error-classification';
import { fastWorkerSettings, openFacts, startHarness, type Harness } from '../helpers/lifecycle';
import { startPlatformStub, type PlatformStub } from '../helpers/platform-stub';

/** A table name that only the injected statement mentions: wherever it shows up, SQL text left the process. */
const MARKER = 'injected_missing_table_7f3a';

/** A real driver error from knex, whose message carries the SQL text (as knex's do); `db` may be a transaction. */
async function knexErrorWithSql(db: Knex): Promise<never> {
  await db.raw(`select secret_column from ${MARKER} where id = 1`);
  throw new Error('the injected statement should have failed');
}

describe('one error taxonomy: nothing unanticipated leaves the process', function () {
  this.timeout(40_000);
  let platform: PlatformStub;
  let h: Harness;

  beforeEach(async () => {
    platform = await startPlatformStub();
    h = await startHarness({
      config: {
        platform: { callbackUrl: platform.url, callbackTimeoutMs: 10_000, callbackMaxReplyBytes: 65_536 },
        // One attempt: the operation fails (and is called back) at its first unexpected error.
        lifecycle: { ...fastWorkerSettings('unused').lifecycle, maxAttempts: 1 },
      },
    });
  });
  afterEach(async () => {
    await h.close();
    await platform.close();
  });

  it('an injected knex error reaches no API answer, operation, audit row or callback', async () => {
    const services = h.service.stores.services;
    const realGet = services.get.bind(services);
    const realUpdate = services.update.bind(services);
    // The worker's write of the service fails with SQL in the error.
    services.update = (_id, _patch, _now, trx) => knexErrorWithSql(trx ?? h.service.db);
    const op = await h.run('open', openFacts('vps-sql-1'), ['failed']);
    services.update = realUpdate;
    assert.equal(op.error.code, 'internal');
    assert.match(op.error.message, new RegExp(INTERNAL_ERROR_MESSAGE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));

    const deadline = Date.now() + 10_000;
    while (platform.of(op.id).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const [callback] = platform.of(op.id);
    assert.ok(callback, 'the failed operation was called back');
    assert.equal((callback.body.error as { code: string }).code, 'internal');

    // A request whose store read fails the same way.
    services.get = () => knexErrorWithSql(h.service.db);
    const answer = await h.service.request('GET', '/v1/services/vps-sql-1');
    services.get = realGet;
    assert.equal(answer.status, 500);
    assert.deepEqual(answer.body, { error: { code: 'internal', message: INTERNAL_ERROR_MESSAGE, details: null } });

    const audit = await h.service.database.db('audit_log').select('details');
    const operation = await h.service.request('GET', `/v1/operations/${op.id}`);
    const everything = JSON.stringify([op, operation.body, callback.rawBody.toString(), answer.body, audit]);
    assert.ok(!everything.includes(MARKER), 'no SQL text in answers, operations, audit rows or callbacks');
    assert.ok(!/select secret_column/i.test(everything));
  });

  it('an unexpected error in a request handler answers 500 internal with a generic message', async () => {
    const operations = h.service.stores.operations;
    const realList = operations.list.bind(operations);
    operations.list = async () => {
      throw new TypeError('Cannot read properties of undefined (reading "row_secret")');
    };
    const answer = await h.service.request('GET', '/v1/admin/operations');
    operations.list = realList;
    assert.equal(answer.status, 500);
    assert.deepEqual(answer.body, { error: { code: 'internal', message: INTERNAL_ERROR_MESSAGE, details: null } });
  });
});
