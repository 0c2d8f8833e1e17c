import assert from 'node:assert/strict';
import { openFacts, type Harness } from '../../helpers/lifecycle';

/** One hook as the platform saw it: what it sent, what it got back, how long the answer took. */
export interface SentHook {
  serviceId: string;
  facts: Record<string, unknown>;
  status: number;
  /** The operation the service named in its answer (2xx only). */
  operationId: string | null;
  ms: number;
  /** Network failure or an unreadable answer. */
  error?: string;
}

/**
 * Sends `count` open hooks for services `<prefix>-0 …`, spread evenly over `spreadMs` (they overlap; each is sent
 * without waiting for the others). Never throws for a failed hook: the outcome is in the result.
 */
export async function sendOpenBurst(
  h: Harness,
  options: { prefix: string; count: number; spreadMs: number; onSent?: (index: number) => void },
): Promise<SentHook[]> {
  const gapMs = options.count > 1 ? options.spreadMs / (options.count - 1) : 0;
  const started = Date.now();
  const pending: Array<Promise<SentHook>> = [];
  for (let i = 0; i < options.count; i++) {
    const wait = started + i * gapMs - Date.now();
    if (wait > 0) await sleep(wait);
    pending.push(sendOpen(h, `${options.prefix}-${i}`));
    options.onSent?.(i);
  }
  return Promise.all(pending);
}

/** Sends one open hook for `serviceId` and records how it went. */
export async function sendOpen(h: Harness, serviceId: string, overrides: Record<string, unknown> = {}) {
  const facts = openFacts(serviceId, overrides);
  const started = performance.now();
  try {
    const answer = await h.hook('open', facts);
    const ms = performance.now() - started;
    const operationId = answer.status < 300 ? ((answer.body?.operationId as string | undefined) ?? null) : null;
    return { serviceId, facts, status: answer.status, operationId, ms } satisfies SentHook;
  } catch (error) {
    const ms = performance.now() - started;
    return { serviceId, facts, status: 0, operationId: null, ms, error: (error as Error).message } satisfies SentHook;
  }
}

/**
 * Waits until none of the operations is queued or running any more (polled straight from the database, which is
 * the record), then returns their final rows. Fails after `timeoutMs` naming the ones still unsettled.
 */
export async function waitUntilSettled(
  h: Harness,
  operationIds: string[],
  timeoutMs: number,
): Promise<Map<string, { status: string; attempts: number; error: string | null }>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows: Array<{ id: string; status: string; attempts: number; error: string | null }> = await h.service.database
      .db('operations')
      .whereIn('id', operationIds)
      .select('id', 'status', 'attempts', 'error');
    const unsettled = rows.filter((r) => r.status === 'queued' || r.status === 'running');
    if (rows.length === operationIds.length && unsettled.length === 0) return new Map(rows.map((r) => [r.id, r]));
    if (Date.now() > deadline) {
      const missing = operationIds.length - rows.length;
      throw new Error(
        `${unsettled.length} of ${operationIds.length} operations still unsettled after ${timeoutMs} ms` +
          `${missing ? ` (${missing} unknown to the database)` : ''}: ` +
          JSON.stringify(unsettled.slice(0, 5)),
      );
    }
    await sleep(100);
  }
}

/**
 * Every hook answered 2xx produced exactly one effect: its operation succeeded, exactly one order upstream carries
 * its reference, and exactly one license is bound to its service, the one that order created.
 */
export async function assertExactlyOneEffectEach(h: Harness, accepted: SentHook[], timeoutMs = 60_000) {
  const operationIds = accepted.map((s) => s.operationId!);
  assert.equal(new Set(operationIds).size, accepted.length, 'each accepted hook has its own operation');
  const final = await waitUntilSettled(h, operationIds, timeoutMs);
  const notSucceeded = [...final.values()].filter((r) => r.status !== 'succeeded');
  assert.deepEqual(notSucceeded, [], 'every accepted hook succeeded');

  const orders = h.ordersByOperation();
  const bound: Array<{ upstream_id: string; service_id: string; state: string; operation_id: string | null }> =
    await h.service.database
      .db('licenses')
      .whereIn(
        'service_id',
        accepted.map((s) => s.serviceId),
      )
      .select('upstream_id', 'service_id', 'state', 'operation_id');
  const byService = new Map(bound.map((l) => [l.service_id, l]));
  const upstream = new Map(h.sandbox.licenses().map((l) => [l.id, l]));
  for (const sent of accepted) {
    const op = sent.operationId!;
    assert.equal(orders.get(op) ?? 0, 1, `operation ${op} (${sent.serviceId}) ordered ${orders.get(op) ?? 0} times`);
    const license = byService.get(sent.serviceId);
    assert.equal(license?.state, 'bound', `${sent.serviceId} has a bound license`);
    const remote = upstream.get(license!.upstream_id);
    assert.ok(remote, `the license of ${sent.serviceId} exists upstream`);
    assert.ok(remote.remoteid.startsWith(`${op}.order.`), `the license of ${sent.serviceId} is the one its op ordered`);
    assert.equal(remote.ip, sent.facts.ip, `the license of ${sent.serviceId} carries its IP`);
  }
}

/**
 * The money rules, after a scenario: `assertInvariants` (I1 one order per operation, I2 no license held twice, I3
 * every paid license bound, reserved or pooled), plus what must hold once the system is quiet:
 * - every order the upstream performed carries the reference of an operation this database knows (no stray order);
 * - no license is still `reserved` and no upstream action still `intended` when no operation is queued or running.
 */
export async function assertMoneyRules(h: Harness): Promise<void> {
  await h.assertInvariants();
  const db = h.service.database.db;
  const known = new Set((await db('operations').select('id')).map((r: { id: string }) => r.id));
  for (const [operationId, count] of h.ordersByOperation()) {
    assert.ok(known.has(operationId), `${count} order(s) upstream carry an unknown operation reference ${operationId}`);
  }
  const busy = await db('operations').whereIn('status', ['queued', 'running']).count<Array<{ n: number | string }>>({
    n: '*',
  });
  if (Number(busy[0]!.n) > 0) return;
  const reserved = await db('licenses').where({ state: 'reserved' }).select('upstream_id', 'operation_id');
  assert.deepEqual(reserved, [], 'no license stays reserved once nothing runs');
  const settledOps = db('operations').whereIn('status', ['succeeded']).select('id');
  const intended = await db('upstream_actions')
    .where({ state: 'intended' })
    .whereIn('operation_id', settledOps)
    .select('reference', 'kind');
  assert.deepEqual(intended, [], 'no succeeded operation left an upstream action with an unknown outcome');
}

/** A measurement for the test log, indented under the test's title. */
export function note(text: string): void {
  console.log(`      · ${text}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Nearest-rank percentile of `values` (0 < p ≤ 100). */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}
