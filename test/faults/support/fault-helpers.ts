import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { Redis } from 'ioredis';
import { openFacts, type Harness } from '../../helpers/lifecycle';
import { testRedisUrl } from '../../helpers/redis';

/** How many times each scripted fault is repeated: `FAULT_ITERATIONS`, default `fallback`. */
export function faultIterations(fallback = 5): number {
  const value = Number(process.env.FAULT_ITERATIONS ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`FAULT_ITERATIONS must be a positive integer`);
  return value;
}

let ipCounter = 0;
const runTag = crypto.randomBytes(3).toString('hex');

/** An IP no other service of this test run has (TEST-NET-2 and TEST-NET-3, then 10/8). */
export function uniqueIp(): string {
  const n = ipCounter++;
  if (n < 254) return `198.51.100.${n + 1}`;
  if (n < 508) return `203.0.113.${n - 253}`;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255 || 1}`;
}

/** A service id no other test uses, readable in failure messages: `<label>-<run>-<n>`. */
export function uniqueServiceId(label: string): string {
  return `${label}-${runTag}-${ipCounter}`;
}

/** Open facts for a new service with its own IP (see {@link openFacts} for the rest). */
export function newServiceFacts(label: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return openFacts(uniqueServiceId(label), { ip: uniqueIp(), ...overrides });
}

/** Sends a hook, checks it was accepted (202), and returns its operation id. */
export async function accept(h: Harness, event: string, facts: Record<string, unknown>): Promise<string> {
  const answer = await h.hook(event, facts);
  assert.equal(answer.status, 202, `${event} ${String(facts.id)}: ${JSON.stringify(answer.body)}`);
  return answer.body.operationId as string;
}

/** Waits for the operation to settle and checks that it succeeded; returns it as the API shows it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the API's JSON
export async function succeeded(h: Harness, operationId: string, timeoutMs = 45_000): Promise<any> {
  const op = await h.settled(operationId, ['succeeded', 'failed'], timeoutMs);
  assert.equal(op.status, 'succeeded', `operation ${operationId} (${op.event}): ${JSON.stringify(op.error)}`);
  return op;
}

/** Polls `probe` until it returns a value other than undefined/false; fails after `timeoutMs` with `what`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

export interface OperationRow {
  id: string;
  service_id: string;
  event: string;
  status: string;
  attempts: number;
}

/** Operation rows straight from the database (the record). */
export async function operationRows(h: Harness, ids?: string[]): Promise<OperationRow[]> {
  const query = h.service.database.db('operations').select('id', 'service_id', 'event', 'status', 'attempts');
  if (ids) query.whereIn('id', ids);
  return ((await query) as OperationRow[]).map((r) => ({ ...r, attempts: Number(r.attempts) }));
}

/** Audit entries of one action about one operation (written inside the transactions that matter). */
export async function auditCount(h: Harness, action: string, operationId: string): Promise<number> {
  const rows: Array<{ subject_id: string; operation_id: string | null; details: string | null }> =
    await h.service.database.db('audit_log').where({ action }).select('subject_id', 'operation_id', 'details');
  return rows.filter(
    (r) => r.operation_id === operationId || r.subject_id === operationId || (r.details ?? '').includes(operationId),
  ).length;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Where the operation's BullMQ jobs are (`bull:<queue>:<operation>.*`): list, lock time left, failure. For the
 * message of an operation that does not settle: the database says what it is, this says why nobody runs it.
 */
export async function queueDiagnosis(h: Harness, operationId: string): Promise<string> {
  const redis = new Redis(await testRedisUrl(), { maxRetriesPerRequest: 1 });
  try {
    const prefix = `bull:${h.queueName}:`;
    const lists: Record<string, string[]> = {};
    for (const list of ['wait', 'active', 'paused']) lists[list] = await redis.lrange(`${prefix}${list}`, 0, -1);
    for (const set of ['completed', 'failed', 'delayed', 'prioritized'])
      lists[set] = await redis.zrange(`${prefix}${set}`, 0, -1);
    const jobIds = new Set(Object.values(lists).flatMap((ids) => ids.filter((id) => id.startsWith(`${operationId}.`))));
    if (jobIds.size === 0) return `no job of ${operationId} in queue ${h.queueName}`;
    const parts: string[] = [];
    for (const jobId of jobIds) {
      const where = Object.keys(lists).filter((list) => lists[list]!.includes(jobId));
      const lockMs = await redis.pttl(`${prefix}${jobId}:lock`);
      const failed = await redis.hget(`${prefix}${jobId}`, 'failedReason');
      parts.push(
        `job ${jobId}: ${where.join('+')}` +
          (lockMs > 0 ? `, locked for ${lockMs} ms more` : '') +
          (failed ? `, failed: ${failed}` : ''),
      );
    }
    return parts.join('; ');
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}

/** Like {@link succeeded}, with the operation's queue jobs in the failure message. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the API's JSON
export async function succeededOrDiagnose(h: Harness, operationId: string, timeoutMs = 45_000): Promise<any> {
  try {
    return await succeeded(h, operationId, timeoutMs);
  } catch (error) {
    (error as Error).message += `\n  queue: ${await queueDiagnosis(h, operationId)}`;
    throw error;
  }
}
