import assert from 'node:assert/strict';
import type { Harness } from '../../helpers/lifecycle';

/** What the checker saw, for a scenario's log line. */
export interface MoneySummary {
  operations: number;
  orders: number;
  renewals: number;
  licenses: Record<string, number>;
}

/**
 * The money rules after a fault scenario, read from the sandbox's call log (what the account paid for) and the
 * database (what the service believes):
 * - `assertInvariants`: I1 at most one order per operation, I2 no license held by two services (nor a service with
 *   two), I3 every license the account pays for is bound, reserved or pooled locally;
 * - I1, stricter: every order the upstream performed carries the reference of an operation this database knows; an
 *   operation that reports `source: 'order'` made exactly one, one that reports `pool` or `none` made none; every
 *   performed order and every performed renewal (both are charged) has exactly one `done` checkpoint, so nothing was
 *   paid twice for one step;
 * - a bound license exists upstream and is not deleted (a service never silently loses its license);
 * - I3, once quiet (`settled`, the default): every operation succeeded, no license is still `reserved`, no upstream
 *   action is still `intended`.
 */
export async function checkMoneyRules(h: Harness, options: { settled?: boolean } = {}): Promise<MoneySummary> {
  await h.assertInvariants();
  const db = h.service.database.db;
  const operations: Array<{ id: string; status: string; result: string | null; service_id: string }> = await db(
    'operations',
  ).select('id', 'status', 'result', 'service_id');
  const byId = new Map(operations.map((op) => [op.id, op]));
  const orders = h.ordersByOperation();

  for (const [operationId, count] of orders)
    assert.ok(byId.has(operationId), `${count} order(s) upstream carry an unknown operation reference ${operationId}`);
  for (const op of operations) {
    if (op.status !== 'succeeded' || !op.result) continue;
    const source = (JSON.parse(op.result) as { source?: string }).source;
    const expected = source === 'order' ? 1 : 0;
    assert.equal(
      orders.get(op.id) ?? 0,
      expected,
      `operation ${op.id} (${op.service_id}) reports source ${source} but ordered ${orders.get(op.id) ?? 0} times`,
    );
  }

  const licenses: Array<{ id: string; upstream_id: string; state: string; service_id: string | null }> = await db(
    'licenses',
  ).select('id', 'upstream_id', 'state', 'service_id');
  const upstream = new Map(h.sandbox.licenses().map((l) => [l.id, l]));
  for (const license of licenses.filter((l) => l.state === 'bound')) {
    const remote = upstream.get(license.upstream_id);
    assert.ok(remote, `bound license ${license.upstream_id} (service ${license.service_id}) is unknown upstream`);
    assert.ok(!remote.deleted, `bound license ${license.upstream_id} (service ${license.service_id}) is deleted`);
  }

  const performed = (func: string) =>
    h.sandbox.calls().filter((c) => c.func === func && c.performed && c.outcome !== 'error').length;
  const done = async (kind: string) =>
    Number(
      (await db('upstream_actions').where({ kind, state: 'done' }).count<Array<{ n: number | string }>>({ n: '*' }))[0]!
        .n,
    );
  const summary: MoneySummary = {
    operations: operations.length,
    orders: performed('soft.order.param'),
    renewals: performed('service.prolong'),
    licenses: {},
  };
  for (const license of licenses) summary.licenses[license.state] = (summary.licenses[license.state] ?? 0) + 1;
  if (options.settled === false) return summary;

  const unsettled = operations.filter((op) => op.status !== 'succeeded');
  assert.deepEqual(
    unsettled.map((op) => `${op.id} (${op.service_id}): ${op.status}`),
    [],
    'every operation succeeded',
  );
  assert.deepEqual(
    licenses.filter((l) => l.state === 'reserved').map((l) => l.upstream_id),
    [],
    'no license stays reserved once every operation settled',
  );
  const intended: Array<{ reference: string }> = await db('upstream_actions')
    .where({ state: 'intended' })
    .select('reference');
  assert.deepEqual(
    intended.map((a) => a.reference),
    [],
    'no upstream action is left with an unknown outcome',
  );
  assert.equal(summary.orders, await done('order'), 'every order the account paid for is recorded once');
  assert.equal(summary.renewals, await done('prolong'), 'every renewal the account paid for is recorded once');
  return summary;
}
