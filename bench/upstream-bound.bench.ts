import crypto from 'node:crypto';
import { setMaxListeners } from 'node:events';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { startSandbox, type SandboxCall } from '../src/sandbox/server';
import { startService, type RunningService } from '../src/service';
import { benchPostgresUrl, fmt, throwAwayPostgres, throwAwaySqlite, type ThrowAwayDatabase } from './pool-support';
import {
  benchConfig,
  benchRedis,
  benchSpec,
  deleteQueueKeys,
  HookSender,
  machineBanner,
  openFacts,
  SANDBOX_PASSWORD,
  SANDBOX_USER,
} from './support';

/**
 * Licenses per second for N distinct `open` hooks (empty pool: each one orders) while every upstream call takes
 * 200 ms, against the ideal C ÷ (upstream calls per open × 200 ms): C workers bound only by the upstream. The service
 * runs in-process with its defaults (relay every 5 s, log level info) on a fresh database and queue per run; the
 * upstream calls are counted from the sandbox's log. Where the rest of the time went comes from the service's log
 * (operation started / attempt ended) and the sandbox's call arrivals.
 */
const LATENCY_MS = 200;
const ROUNDS = 8; // N = ROUNDS × C, so every worker slot runs the same number of opens
const HEADLINE_C = 8;
const REPEATS = 3; // of the headline runs, interleaved across databases; the median counts
const MORE_C = [4, 16]; // SQLite only, once each
const TIMEOUT_MS = 90_000;

interface Op {
  started?: number;
  ended?: number;
  verdict?: string;
  calls: number[];
}

interface Run {
  label: string;
  concurrency: number;
  ratio: number;
}

async function main(): Promise<void> {
  setMaxListeners(4 * ROUNDS * Math.max(HEADLINE_C, ...MORE_C)); // the sandbox waits out every call on one AbortSignal
  console.log(machineBanner());
  console.log(`upstream latency ${LATENCY_MS} ms per call; N = ${ROUNDS} × C distinct open hooks at once, empty pool`);
  const redis = await benchRedis();
  const runs: Run[] = [];
  const sqlite = throwAwaySqlite;
  let postgres: (() => Promise<ThrowAwayDatabase | { skipped: string }>) | null = throwAwayPostgres;
  try {
    for (let repeat = 1; repeat <= REPEATS; repeat++) {
      runs.push((await measure('SQLite', sqlite, redis.url, HEADLINE_C, repeat))!);
      if (!postgres) continue;
      const run = await measure('PostgreSQL', postgres, redis.url, HEADLINE_C, repeat);
      if (run) runs.push(run);
      else postgres = null;
    }
    for (const concurrency of MORE_C) runs.push((await measure('SQLite', sqlite, redis.url, concurrency, 1))!);
  } finally {
    await redis.stop();
  }
  const medians = ['SQLite', 'PostgreSQL']
    .map((label) => ({ label, ratio: median(runs.filter((r) => r.label === label && r.concurrency === HEADLINE_C)) }))
    .filter((m) => !Number.isNaN(m.ratio));
  const worst = medians.reduce((a, b) => (b.ratio < a.ratio ? b : a));
  console.log(
    `ratio: ${fmt(worst.ratio)} (achieved ÷ ideal at C = ${HEADLINE_C}, median of ${REPEATS} runs, the worse of ` +
      `${medians.map((m) => `${m.label} ${fmt(m.ratio)}`).join(', ')}; aim ≥ 0.90)`,
  );
}

async function measure(
  label: string,
  create: () => Promise<ThrowAwayDatabase | { skipped: string }>,
  redisUrl: string,
  concurrency: number,
  repeat: number,
): Promise<Run | null> {
  const database = await create();
  if ('skipped' in database) {
    console.log(`${label} half skipped: ${benchPostgresUrl()} does not answer (${database.skipped})`);
    return null;
  }
  const ops = new Map<string, Op>();
  const opOf = (id: string) => ops.get(id) ?? ops.set(id, { calls: [] }).get(id)!;
  const opOfLicense = new Map<string, string>();
  const onCall = (call: SandboxCall) => {
    const at = performance.timeOrigin + performance.now();
    const order = call.func === 'soft.order.param';
    const opId = order ? call.params.remoteid?.split('.order.')[0] : opOfLicense.get(call.licenseId ?? '');
    if (order && opId && call.licenseId) opOfLicense.set(call.licenseId, opId);
    if (opId) opOf(opId).calls.push(at);
  };
  const onLog = (line: string) => {
    const entry = JSON.parse(line) as { msg?: string; time: number; operationId?: string; verdict?: string };
    if (entry.msg === 'operation started') opOf(entry.operationId!).started = entry.time;
    if (entry.msg !== 'operation attempt ended') return;
    const op = opOf(entry.operationId!);
    op.ended = entry.time;
    op.verdict = entry.verdict;
  };
  const sandbox = await startSandbox({
    accounts: [{ username: SANDBOX_USER, password: SANDBOX_PASSWORD, balance: 1e9 }],
    onCall,
  });
  const spec = benchSpec({
    databaseUrl: database.url,
    redisUrl,
    sandboxApiUrl: sandbox.apiUrl,
    worker: { concurrency },
  });
  let service: RunningService | null = null;
  let hooks: HookSender | null = null;
  try {
    service = await startService(benchConfig(spec), pino({ level: 'info', base: null }, { write: onLog }));
    hooks = new HookSender(service.url!, spec.hookSecret);
    const sender = hooks;
    const send = async (id: string, i: number) => {
      const answer = await sender.send('open', { eventId: crypto.randomUUID(), service: openFacts(id, i) });
      if (answer.status !== 202) throw new Error(`hook answered ${answer.status}: ${answer.body}`);
      return opOf((JSON.parse(answer.body) as { operationId: string }).operationId);
    };
    await waitFor([await send('warm-up', 9999)]); // logs in upstream and warms code paths; not measured
    sandbox.setLatency(LATENCY_MS);
    const callsBefore = sandbox.calls().length;
    let statements = 0;
    service.db.on('query', () => statements++);
    const elu = performance.eventLoopUtilization();
    const t0 = Date.now();
    const measured = await waitFor(
      await Promise.all(Array.from({ length: ROUNDS * concurrency }, (_, i) => send(`vps-${i}`, i))),
    );
    const busy = performance.eventLoopUtilization(elu).utilization;
    const failed = measured.filter((op) => op.verdict !== 'succeeded').length;
    if (failed) throw new Error(`${failed} of ${measured.length} opens did not succeed`);
    const upstream = sandbox
      .calls()
      .slice(callsBefore)
      .filter((c) => c.func !== 'auth');
    const ratio = report(`${label} C = ${concurrency} run ${repeat}`, concurrency, measured, upstream, t0, busy);
    console.log(`  DB statements per open (intake, worker, relay): ${fmt(statements / measured.length, 1)}`);
    return { label, concurrency, ratio };
  } finally {
    hooks?.close();
    await service?.stop();
    await sandbox.close();
    await deleteQueueKeys(redisUrl, spec.queueName);
    await database.destroy();
  }
}

async function waitFor(ops: Op[]): Promise<Op[]> {
  const deadline = Date.now() + TIMEOUT_MS;
  while (ops.some((op) => op.ended === undefined)) {
    if (Date.now() > deadline) throw new Error(`opens still running after ${TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return ops;
}

/** Prints one run's figures; returns achieved ÷ ideal. */
function report(title: string, c: number, ops: Op[], upstream: SandboxCall[], t0: number, busy: number): number {
  const wall = Math.max(...ops.map((op) => op.ended!)) - t0;
  const perOpen = upstream.length / ops.length;
  const ideal = c / ((perOpen * LATENCY_MS) / 1000);
  const achieved = ops.length / (wall / 1000);
  const byFunc = new Map<string, number>();
  for (const call of upstream) byFunc.set(call.func, (byFunc.get(call.func) ?? 0) + 1);
  const calls = ops.map((op) => [...op.calls].sort((a, b) => a - b));
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  const starts = ops.map((op) => op.started!).sort((a, b) => a - b);
  const ends = ops.map((op) => op.ended!).sort((a, b) => a - b);
  const slotMs = c * wall;
  const share = (ms: number) => `${fmt((100 * ms) / slotMs, 1)}%`;
  const gaps = handOffs(starts, ends);
  const outside = mean(ops.map((op, i) => op.ended! - op.started! - calls[i]!.length * LATENCY_MS));
  const beforeFirst = mean(ops.map((op, i) => calls[i]![0]! - op.started!));
  const between = mean(calls.flatMap((t) => t.slice(1).map((at, j) => at - t[j]! - LATENCY_MS)));
  const afterLast = mean(ops.map((op, i) => op.ended! - calls[i]!.at(-1)! - LATENCY_MS));
  const rampUp = sum(starts.slice(0, c).map((start) => start - t0));
  const tail = sum(ends.slice(-c).map((end) => t0 + wall - end));
  const funcs = [...byFunc].map(([func, n]) => `${func} ${fmt(n / ops.length)}`).join(', ');
  console.log(
    [
      `${title}, N = ${ops.length}: ${fmt(achieved)} licenses/s in ${wall} ms; ideal ${fmt(ideal)}/s → ` +
        `${fmt((100 * achieved) / ideal, 1)}% (event loop busy ${fmt(100 * busy, 0)}%, load average ${fmt(os.loadavg()[0]!)})`,
      `  upstream calls per open (auth excluded): ${fmt(perOpen)} (${funcs})`,
      `  per open in the worker besides the upstream's ${fmt(perOpen * LATENCY_MS, 0)} ms: ${fmt(outside, 1)} ms = ` +
        `${share(outside * ops.length)} of C × wall (before the first call ${fmt(beforeFirst, 1)}, between calls ` +
        `${fmt(between, 1)}, after the last ${fmt(afterLast, 1)})`,
      `  worker slots idle: ramp-up ${share(rampUp)} (first start ${starts[0]! - t0} ms after the first hook), tail ` +
        `${share(tail)}, hand-offs ${share(sum(gaps))} (mean ${fmt(mean(gaps), 1)} ms from an end to the next start)`,
    ].join('\n'),
  );
  return achieved / ideal;
}

/** For each end while work still waited: how long until the freed slot started the next operation. */
function handOffs(starts: number[], ends: number[]): number[] {
  const gaps: number[] = [];
  let next = 0;
  for (const end of ends) {
    while (next < starts.length && starts[next]! < end) next++;
    if (next >= starts.length) break;
    gaps.push(starts[next++]! - end);
  }
  return gaps;
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

function median(runs: Run[]): number {
  const sorted = runs.map((r) => r.ratio).sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)]! : Number.NaN;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
