import { performance } from 'node:perf_hooks';
import type { Knex } from 'knex';
import { startSandbox } from '../src/sandbox/server';
import {
  benchRedis,
  benchSpec,
  createBenchDatabase,
  deleteQueueKeys,
  HookSender,
  machineBanner,
  ms,
  openFacts,
  percentile,
  SANDBOX_PASSWORD,
  SANDBOX_USER,
  sleep,
  startBaselineApp,
  startBenchService,
} from './support';

/**
 * Light load: one `open` hook at a time, from sending it to its operation's `succeeded` (the operation's own
 * `finished_at`), with the sandbox answering every call after a fixed latency. The sandbox's share (upstream calls
 * per open × latency, from its call log) is taken out; what remains is compared with a bare hook round trip.
 */
const OPENS = Number(process.env.BENCH_OPENS ?? 100);
const LATENCY_MS = Number(process.env.BENCH_SANDBOX_LATENCY_MS ?? 20);
const WARM_UP = 5;
const POLL_MS = 5;

async function main(): Promise<void> {
  console.log(machineBanner());
  const redis = await benchRedis();
  const database = await createBenchDatabase();
  const sandbox = await startSandbox({
    accounts: [{ username: SANDBOX_USER, password: SANDBOX_PASSWORD, balance: 10_000_000 }],
  });
  const spec = benchSpec({ databaseUrl: database.url, redisUrl: redis.url, sandboxApiUrl: sandbox.apiUrl });
  const baseline = await startBaselineApp();
  const service = await startBenchService(spec).catch(async (error: unknown) => {
    await Promise.all([sandbox.close(), baseline.close(), database.destroy(), redis.stop()]);
    throw error;
  });
  const hooks = new HookSender(service.url!, spec.hookSecret, 4);
  const bare = new HookSender(baseline.url, spec.hookSecret, 4);
  try {
    console.log(`database: ${database.kind}; role all (API and workers in one process), concurrency 8`);
    console.log(`sandbox: in-process, ${LATENCY_MS} ms per API call; ${OPENS} opens one at a time`);
    for (let i = 0; i < WARM_UP; i++) await openAndWait(hooks, service.db, `warm-${i}`, i);
    sandbox.setLatency(LATENCY_MS);
    const callsBefore = sandbox.calls().length;
    const latencies: number[] = [];
    const statuses = new Map<string, number>();
    const phases: Record<'accepted' | 'toFirstCall' | 'betweenCalls' | 'afterLastCall', number[]> = {
      accepted: [],
      toFirstCall: [],
      betweenCalls: [],
      afterLastCall: [],
    };
    for (let i = 0; i < OPENS; i++) {
      const seen = sandbox.calls().length;
      const run = await openAndWait(hooks, service.db, `vps-${i}`, 1000 + i);
      statuses.set(run.status, (statuses.get(run.status) ?? 0) + 1);
      if (run.status !== 'succeeded') continue;
      latencies.push(run.finishedAt - run.sentAt);
      // The sandbox logs a call when it arrives, then waits the latency: its `at` is when our request reached it.
      const starts = sandbox
        .calls()
        .slice(seen)
        .map((call) => new Date(call.at).getTime());
      phases.accepted.push(run.acceptedAt - run.sentAt);
      phases.toFirstCall.push(starts[0]! - run.sentAt);
      for (let c = 1; c < starts.length; c++) phases.betweenCalls.push(starts[c]! - starts[c - 1]! - LATENCY_MS);
      phases.afterLastCall.push(run.finishedAt - starts[starts.length - 1]! - LATENCY_MS);
    }
    const calls = sandbox.calls().slice(callsBefore);
    const byFunc = new Map<string, number>();
    for (const call of calls) byFunc.set(call.func, (byFunc.get(call.func) ?? 0) + 1);
    const callsPerOpen = calls.length / OPENS;
    const share = callsPerOpen * LATENCY_MS;

    for (let i = 0; i < WARM_UP * 10; i++) await bare.send('open', { eventId: `w${i}`, service: openFacts('w', i) });
    const bareTimes: number[] = [];
    for (let i = 0; i < OPENS; i++) {
      const started = performance.now();
      const answer = await bare.send('open', { eventId: `bare-${i}`, service: openFacts(`bare-${i}`, i) });
      if (answer.status === 202) bareTimes.push(performance.now() - started);
    }

    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    const bareP50 = percentile(bareTimes, 50);
    console.log(`outcomes: ${[...statuses].map(([s, n]) => `${s} ${n}`).join(', ')}`);
    console.log(
      `upstream calls per open: ${callsPerOpen.toFixed(2)} (${[...byFunc].map(([f, n]) => `${f} ×${n}`).join(', ')})`,
    );
    console.log(`sandbox share: ${callsPerOpen.toFixed(2)} calls × ${LATENCY_MS} ms = ${ms(share)}`);
    console.log(`hook → succeeded, raw:           p50 ${ms(p50)}, p99 ${ms(p99)}, max ${ms(Math.max(...latencies))}`);
    console.log(`hook → succeeded, minus sandbox: p50 ${ms(p50 - share)}, p99 ${ms(p99 - share)}`);
    console.log(
      `  where it goes (p50): hook answered ${ms(percentile(phases.accepted, 50))}; sent → first upstream call ` +
        `${ms(percentile(phases.toFirstCall, 50))}; between calls ${ms(percentile(phases.betweenCalls, 50))} each; ` +
        `last reply → succeeded ${ms(percentile(phases.afterLastCall, 50))}`,
    );
    console.log(`bare hook round trip (express, JSON, 202): p50 ${ms(bareP50)}, p99 ${ms(percentile(bareTimes, 99))}`);
    console.log(
      `ratio: ${((p50 - share) / bareP50).toFixed(1)} (our p50 minus the sandbox's share ÷ p50 of a bare hook round trip; lower is better)`,
    );
  } finally {
    hooks.close();
    bare.close();
    await service.stop();
    await Promise.all([sandbox.close(), baseline.close()]);
    await deleteQueueKeys(redis.url, spec.queueName);
    await database.destroy();
    await redis.stop();
  }
}

/** Sends one open and waits for its operation to settle; the latency ends at the operation's `finished_at`. */
async function openAndWait(hooks: HookSender, db: Knex, serviceId: string, index: number) {
  const sentAt = Date.now();
  const answer = await hooks.send('open', { eventId: `evt-${serviceId}`, service: openFacts(serviceId, index) });
  const acceptedAt = Date.now();
  if (answer.status !== 202) throw new Error(`open ${serviceId}: HTTP ${answer.status} ${answer.body}`);
  const { operationId } = JSON.parse(answer.body) as { operationId: string };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const row = (await db('operations').where({ id: operationId }).first('status', 'finished_at')) as
      { status: string; finished_at: string | null } | undefined;
    if (row && row.status !== 'queued' && row.status !== 'running') {
      const finishedAt = row.finished_at ? new Date(row.finished_at).getTime() : Date.now();
      return { status: row.status, sentAt, acceptedAt, finishedAt };
    }
    if (Date.now() > deadline) throw new Error(`operation ${operationId} still ${row?.status} after 30 s`);
    await sleep(POLL_MS);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
