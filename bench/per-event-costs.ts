import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { SandboxCall } from '../src/sandbox/server';
import { describeCounts, countSql, medianCounts, subtractCounts, type SqlCounts } from './sql-counter';
import { HookSender, openFacts, sleep, startBenchService, type BenchServiceSpec } from './support';

/** The events measured one at a time, in the order each round sends them. */
const EVENTS = ['open by order', 'prolong, no renewal', 'close to the pool', 'open from the pool'] as const;
type EventName = (typeof EVENTS)[number];
const ROUNDS = 5;
/** An event's cost ends when its operation has settled and the service has sent no statement for this long. */
const QUIET_MS = 150;
const SETTLE_TIMEOUT_MS = 30_000;

export interface EventCost {
  event: EventName;
  sql: SqlCounts;
  upstreamCalls: number;
  /** Upstream calls by `func`, in the order they came (of the round the median fell on). */
  funcs: string[];
}

/**
 * What each lifecycle event costs, counted one event at a time on a role-`all` service (intake, relay and worker
 * in this process): the SQL statements and commits its knex instance sent from the hook until the service fell
 * quiet (the relay pass an attempt triggers included), and the upstream calls the sandbox logged (logins
 * excluded). Each round opens a service with an empty pool (an order), prolongs it within the license's paid time
 * (no renewal), closes it (the 12-month license goes to the pool) and opens another (served from the pool); the
 * median of the rounds is printed, so a periodic pass that fell into one window does not count.
 */
export async function measurePerEventCosts(
  spec: BenchServiceSpec,
  monitor: Knex,
  sandboxCalls: () => Promise<SandboxCall[]>,
): Promise<EventCost[]> {
  const service = await startBenchService({ ...spec, role: 'all' });
  const hooks = new HookSender(service.url!, spec.hookSecret, 4);
  const sql = countSql(service.db);
  const samples = new Map<EventName, Array<{ sql: SqlCounts; calls: SandboxCall[] }>>();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const run = crypto.randomBytes(3).toString('hex');
      const first = openFacts(`vps-ev-${run}-a`, 40_000 + 2 * round);
      const second = openFacts(`vps-ev-${run}-b`, 40_001 + 2 * round);
      const later = new Date(Date.parse(first.paidUntil as string) + 30 * 86_400_000).toISOString();
      const steps: Array<[EventName, string, Record<string, unknown>]> = [
        ['open by order', 'open', first],
        ['prolong, no renewal', 'prolong', { id: first.id, paidUntil: later }],
        ['close to the pool', 'close', { id: first.id, paidUntil: later }],
        ['open from the pool', 'open', second],
      ];
      for (const [event, hook, facts] of steps) {
        const callsBefore = (await sandboxCalls()).length;
        const before = sql.read();
        const answer = await hooks.send(hook, { eventId: `evt-${crypto.randomUUID()}`, service: facts });
        if (answer.status !== 202) throw new Error(`${hook}: HTTP ${answer.status} ${answer.body}`);
        const { operationId } = JSON.parse(answer.body) as { operationId: string };
        await settled(monitor, operationId, event);
        await quiet(() => sql.read().roundTrips);
        const calls = (await sandboxCalls()).slice(callsBefore).filter((call) => call.func !== 'auth');
        const list = samples.get(event) ?? samples.set(event, []).get(event)!;
        list.push({ sql: subtractCounts(sql.read(), before), calls });
      }
    }
  } finally {
    sql.stop();
    hooks.close();
    await service.stop();
  }
  return EVENTS.map((event) => {
    const list = samples.get(event)!;
    const byCalls = [...list].sort((a, b) => a.calls.length - b.calls.length);
    const middle = byCalls[Math.floor((byCalls.length - 1) / 2)]!;
    return {
      event,
      sql: medianCounts(list.map((s) => s.sql)),
      upstreamCalls: middle.calls.length,
      funcs: middle.calls.map((call) => call.func),
    };
  });
}

export function printEventCosts(costs: EventCost[]): void {
  console.log(`per event, one at a time (median of ${ROUNDS} rounds; SQL from the hook until the service is quiet):`);
  for (const cost of costs) {
    const funcs = cost.funcs.length ? ` (${cost.funcs.join(', ')})` : '';
    console.log(`  ${cost.event.padEnd(20)} upstream calls ${cost.upstreamCalls}${funcs}; ${describeCounts(cost.sql)}`);
  }
  console.log(
    '  aims: open by order ≤ 15 statements, 4 commits, 2 calls; open from the pool ≤ 20 statements, ≤ 4 calls;',
  );
  console.log('        prolong needing no renewal 0 calls; close ≤ 2 calls');
}

async function settled(monitor: Knex, operationId: string, event: string): Promise<void> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    const row = (await monitor('operations').where({ id: operationId }).first('status', 'error')) as
      { status: string; error: string | null } | undefined;
    if (row?.status === 'succeeded') return;
    if (row?.status === 'failed') throw new Error(`${event}: operation failed: ${row.error}`);
    if (Date.now() > deadline) throw new Error(`${event}: operation still ${row?.status} after the time-out`);
    await sleep(5);
  }
}

async function quiet(roundTrips: () => number): Promise<void> {
  const deadline = Date.now() + 3000;
  let last = roundTrips();
  let since = Date.now();
  while (Date.now() - since < QUIET_MS && Date.now() < deadline) {
    await sleep(10);
    const now = roundTrips();
    if (now !== last) [last, since] = [now, Date.now()];
  }
}
