import type { ApiClient } from './api-client';
import { OperationNotDoneError } from './cli-errors';
import { cellText, type Output } from './output';
import type { OperationItem as Operation, Queued } from '../../admin-api/shapes';

export type { Operation, Queued };

const POLL_MS = 250;

/**
 * Polls an operation until it settles: `succeeded`, `failed`, or `waiting` on an upstream rule (a cooldown: it has
 * an error and would wait far longer than anyone watches). Waiting behind an earlier operation of the same service
 * (no error) is followed on. Past `timeoutMs` the last state is returned as it is.
 */
export async function waitForOperation(api: ApiClient, operationId: string, timeoutMs: number): Promise<Operation> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const op = await api.get<Operation>(`/v1/operations/${encodeURIComponent(operationId)}`);
    if (op.status === 'succeeded' || op.status === 'failed') return op;
    if (op.status === 'waiting' && op.error) return op;
    if (Date.now() >= deadline) return op;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** One line for a person: what became of the operation. */
export function describeOperation(op: Operation): string {
  const head = `operation ${op.id} (${op.event}${op.serviceId ? `, service ${op.serviceId}` : ''}) ${op.status}`;
  const attempts = `${op.attempts} attempt${op.attempts === 1 ? '' : 's'}`;
  if (op.status === 'succeeded') {
    const result = op.result;
    if (!result || !result.licenseId) return `${head} after ${attempts}`;
    const source = result.source === 'none' ? '' : `, from the ${result.source === 'pool' ? 'pool' : 'new order'}`;
    return `${head} after ${attempts}: license ${result.licenseId} (upstream ${result.upstreamId ?? '-'})${source}, paid until ${cellText(result.paidUntil)}`;
  }
  const why = op.error ? `: ${op.error.code}: ${op.error.message}` : '';
  const until = op.status === 'waiting' && op.notBefore ? ` (not before ${cellText(op.notBefore)})` : '';
  return `${head} after ${attempts}${why}${until}`;
}

/**
 * Waits for each operation, prints each outcome (or, under `--json`, the operations as the API shows them) and
 * throws when any did not succeed, so the exit code says so.
 */
export async function waitAndReport(
  api: ApiClient,
  output: Output,
  operationIds: readonly string[],
  timeoutMs: number,
): Promise<Operation[]> {
  const settled: Operation[] = [];
  for (const id of operationIds) {
    const op = await waitForOperation(api, id, timeoutMs);
    settled.push(op);
    if (!output.json) output.line(describeOperation(op));
  }
  if (output.json) output.printJson(settled.length === 1 ? settled[0] : { items: settled });
  const unfinished = settled.filter((op) => op.status !== 'succeeded');
  if (unfinished.length > 0) throw notDone(unfinished, timeoutMs);
  return settled;
}

function notDone(ops: Operation[], timeoutMs: number): OperationNotDoneError {
  const first = ops[0]!;
  const count = ops.length === 1 ? `operation ${first.id}` : `${ops.length} operations (first ${first.id})`;
  if (first.status === 'failed')
    return new OperationNotDoneError(
      `${count} failed${first.error ? `: ${first.error.code}` : ''}`,
      `fix the cause, then: plm operations retry ${first.id} --wait`,
    );
  if (first.status === 'waiting')
    return new OperationNotDoneError(
      `${count} is waiting${first.error ? ` (${first.error.code})` : ''}; it runs again by itself`,
      `follow it with: plm operations show ${first.id}; or run it now: plm operations retry ${first.id}`,
    );
  return new OperationNotDoneError(
    `${count} still ${first.status} after ${Math.round(timeoutMs / 1000)} s`,
    `follow it with: plm operations show ${first.id} (or wait longer with --timeout)`,
  );
}
