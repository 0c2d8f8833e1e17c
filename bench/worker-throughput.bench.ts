import { performance } from 'node:perf_hooks';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Knex } from 'knex';
import { createDatabase } from '../src/db/database';
import { drainMinimalWorker } from './minimal-worker';
import { measurePerEventCosts, printEventCosts } from './per-event-costs';
import { describeCounts } from './sql-counter';
import {
  benchRedis,
  benchSpec,
  cpuMsSince,
  createBenchDatabase,
  deleteQueueKeys,
  HookSender,
  machineBanner,
  ms,
  openFacts,
  percentile,
  sleep,
  startBenchService,
  startSandboxProcess,
  uniqueName,
} from './support';

/**
 * How fast a worker-role service drains N queued `open` operations (distinct services, sandbox at zero latency in
 * its own process), against a bare BullMQ Queue + Worker draining N no-op jobs at the same concurrency on the same
 * Redis, and against the minimal worker (`minimal-worker.ts`: the same two upstream calls and rows in one
 * transaction, no lease or checkpoint). Rates are steady-state: (N − 1) ÷ (last finish − first finish), so start-up
 * is not counted. Then each lifecycle event is sent one at a time to count its statements, commits and upstream
 * calls (`per-event-costs.ts`).
 */
const N = Number(process.env.BENCH_OPERATIONS ?? 500);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const BARE_ROUNDS = 3;
const DRAIN_TIMEOUT_MS = 150_000;

async function main(): Promise<void> {
  console.log(machineBanner());
  const redis = await benchRedis();
  const database = await createBenchDatabase();
  const sandbox = await startSandboxProcess({ latencyMs: 0 });
  const spec = benchSpec({
    role: 'api',
    databaseUrl: database.url,
    redisUrl: redis.url,
    sandboxApiUrl: sandbox.apiUrl,
    worker: { concurrency: CONCURRENCY },
  });
  const monitor = createDatabase(database.url);
  try {
    console.log(`${N} operations, concurrency ${CONCURRENCY}, ${database.kind}, sandbox in its own process at 0 ms`);
    const bareRates: number[] = [];
    const bareCpuBefore = process.cpuUsage();
    for (let round = 0; round < BARE_ROUNDS; round++) bareRates.push(await drainBare(redis.url, N, CONCURRENCY));
    const bareCpu = cpuMsSince(bareCpuBefore) / (N * BARE_ROUNDS);
    const bare = percentile(bareRates, 50);
    console.log(
      `bare BullMQ (no-op jobs): ${bareRates.map((r) => `${r.toFixed(0)}/s`).join(', ')} → median ${bare.toFixed(0)} jobs/s`,
    );

    const relay = await queueOpens(spec);
    console.log(
      `inserted ${N} opens with role api; one more relay pass over them (all already queued): ${ms(relay.ms)}, ` +
        `${relay.added} jobs added again`,
    );

    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const worker = await startBenchService({ ...spec, role: 'worker' });
    const ready = performance.now() - started;
    try {
      await waitUntilSettled(monitor);
    } finally {
      await worker.stop();
    }
    const wall = performance.now() - started;
    const cpuPerOperation = cpuMsSince(cpuBefore) / N;
    const outcome = await outcomes(monitor);
    const calls = await sandbox.calls();
    const ours = (outcome.succeeded - 1) / (outcome.spanMs / 1000);
    console.log(
      `ours: ${outcome.succeeded} succeeded, ${outcome.failed} failed; ${(calls.length / N).toFixed(2)} upstream calls per open`,
    );
    console.log(
      `ours: steady ${ours.toFixed(1)} operations/s (${outcome.succeeded} finishes over ${ms(outcome.spanMs)}); ` +
        `wall ${ms(wall)} from start-up (start-up ${ms(ready)}) → ${(N / (wall / 1000)).toFixed(1)}/s`,
    );
    console.log(
      `CPU per operation (this process, start-up included): ${ms(cpuPerOperation)}; per bare job: ${ms(bareCpu)}`,
    );

    const callsBeforeMinimal = (await sandbox.calls()).length;
    const minimal = await drainMinimalWorker({
      db: monitor,
      redisUrl: redis.url,
      sandboxApiUrl: sandbox.apiUrl,
      operations: N,
      concurrency: CONCURRENCY,
      timeoutMs: DRAIN_TIMEOUT_MS,
    });
    const minimalCalls = ((await sandbox.calls()).length - callsBeforeMinimal) / N;
    console.log(
      `minimal worker (order, read, one transaction): steady ${minimal.perSecond.toFixed(1)} operations/s; ` +
        `${minimalCalls.toFixed(2)} upstream calls and ${describeCounts(minimal.perOperation)} per open`,
    );

    printEventCosts(await measurePerEventCosts(spec, monitor, sandbox.calls));
    console.log(
      `ratio vs minimal worker: ${(ours / minimal.perSecond).toFixed(3)} (our steady operations/s ÷ the minimal ` +
        `worker's; aim ≥ 0.7)`,
    );
    console.log(`ratio: ${(ours / bare).toFixed(3)} (our steady operations/s ÷ bare BullMQ no-op jobs/s; aim ≥ 0.1)`);
  } finally {
    await monitor.destroy();
    await sandbox.close();
    await deleteQueueKeys(redis.url, spec.queueName);
    await database.destroy();
    await redis.stop();
  }
}

/** Sends N signed opens to an API-role service, waits until the relay has queued them all, times one more pass. */
async function queueOpens(spec: ReturnType<typeof benchSpec>): Promise<{ ms: number; added: number }> {
  const api = await startBenchService(spec);
  const hooks = new HookSender(api.url!, spec.hookSecret, 16);
  const connection = new Redis(spec.redisUrl, { maxRetriesPerRequest: 1 });
  const queue = new Queue(spec.queueName, { connection });
  try {
    let next = 0;
    const sendAll = async () => {
      for (let i = next++; i < N; i = next++) {
        const answer = await hooks.send('open', { eventId: `evt-w-${i}`, service: openFacts(`vps-w-${i}`, i) });
        if (answer.status !== 202) throw new Error(`open: HTTP ${answer.status} ${answer.body}`);
      }
    };
    await Promise.all(Array.from({ length: 16 }, sendAll));
    const deadline = Date.now() + 30_000;
    while ((await queue.getWaitingCount()) < N && Date.now() < deadline) await sleep(50);
    const passStarted = performance.now();
    const added = await api.relay.pass();
    return { ms: performance.now() - passStarted, added };
  } finally {
    hooks.close();
    await queue.close();
    await connection.quit();
    await api.stop();
  }
}

async function waitUntilSettled(db: Knex): Promise<void> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  for (;;) {
    const [row] = (await db('operations').whereIn('status', ['queued', 'running']).count({ n: '*' })) as Array<{
      n: number | string;
    }>;
    if (Number(row?.n ?? 0) === 0) return;
    if (Date.now() > deadline) throw new Error(`${row?.n} operations still queued or running after the time-out`);
    await sleep(20);
  }
}

async function outcomes(db: Knex) {
  const rows = (await db('operations').select('status', 'finished_at')) as Array<{
    status: string;
    finished_at: string | null;
  }>;
  const finishes = rows
    .filter((r) => r.status === 'succeeded' && r.finished_at)
    .map((r) => new Date(r.finished_at!).getTime());
  return {
    succeeded: finishes.length,
    failed: rows.filter((r) => r.status === 'failed').length,
    spanMs: Math.max(...finishes) - Math.min(...finishes),
  };
}

/** A bare Queue + Worker on the same Redis: N no-op jobs added first, then drained; steady jobs per second. */
async function drainBare(redisUrl: string, n: number, concurrency: number): Promise<number> {
  const name = uniqueName('bare');
  const producer = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const consumer = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(name, {
    connection: producer,
    defaultJobOptions: { removeOnComplete: true, removeOnFail: 1000, attempts: 1 },
  });
  const finishes: number[] = [];
  let worker: Worker | undefined;
  try {
    await queue.addBulk(
      Array.from({ length: n }, (_, i) => ({
        name: 'noop',
        data: { operationId: `op-${i}` },
        opts: { jobId: `${i}.0` },
      })),
    );
    const drained = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('bare worker did not drain in time')), DRAIN_TIMEOUT_MS);
      worker = new Worker(name, async () => ({ verdict: 'succeeded' }), { connection: consumer, concurrency });
      worker.on('completed', () => {
        finishes.push(performance.now());
        if (finishes.length === n) resolve(clearTimeout(timer));
      });
    });
    await drained;
    return (n - 1) / ((finishes[n - 1]! - finishes[0]!) / 1000);
  } finally {
    await worker?.close();
    await queue.close();
    await Promise.all([producer.quit(), consumer.quit()]);
    await deleteQueueKeys(redisUrl, name);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
