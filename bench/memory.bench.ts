import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { configSchema } from '../src/config/schema';
import { hookBodySchemas } from '../src/platform/hook-schemas';
import { HookIntake } from '../src/lifecycle/intake';
import { startSandbox } from '../src/sandbox/server';
import {
  benchRedis,
  benchSpec,
  createBenchDatabase,
  deleteQueueKeys,
  forkTarget,
  machineBanner,
  openFacts,
  percentile,
  SANDBOX_PASSWORD,
  SANDBOX_USER,
  sleep,
  startBenchService,
  type TargetProcess,
} from './support';

/**
 * Resident set size of a worker-role process (its own process, RSS after a full GC) idle with an empty queue, then
 * with 10,000 `open` operations queued. The operations go in through the hook intake (in this process, on an
 * API-role service sharing the database and queue) and the relays put them on the queue; the upstream (the sandbox,
 * in this process) holds every call for ten minutes, so they stay queued or running for the whole measurement.
 */
const OPERATIONS = Number(process.env.BENCH_QUEUED_OPERATIONS ?? 10_000);
const CONCURRENCY = 8;
const SAMPLES = 5;
const BLOCK_MS = 600_000;
const GRACE_MS = 1000;

async function main(): Promise<void> {
  console.log(machineBanner());
  const redis = await benchRedis();
  const database = await createBenchDatabase();
  const sandbox = await startSandbox({
    accounts: [{ username: SANDBOX_USER, password: SANDBOX_PASSWORD, balance: 10_000_000 }],
    latencyMs: BLOCK_MS,
  });
  const spec = benchSpec({
    role: 'worker',
    databaseUrl: database.url,
    redisUrl: redis.url,
    sandboxApiUrl: sandbox.apiUrl,
    upstreamTimeoutMs: BLOCK_MS,
    worker: { concurrency: CONCURRENCY, relayIntervalMs: 1000, shutdownGraceMs: GRACE_MS },
  });
  const connection = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  const queue = new Queue(spec.queueName, { connection });
  queue.on('error', (error) => console.log(`bench queue: ${error.message}`));
  let worker: TargetProcess | undefined;
  let api: Awaited<ReturnType<typeof startBenchService>> | undefined;
  try {
    console.log(
      `worker role, concurrency ${CONCURRENCY}, ${database.kind}; sandbox holds every call ${BLOCK_MS / 60_000} min`,
    );
    worker = await forkTarget({ kind: 'service', spec });
    await sleep(5000); // start-up garbage collected, JIT settled, the scheduler's first sweep done
    const idle = await sample(worker);
    console.log(`idle, empty queue: RSS ${mib(idle.rss)}, heap used ${mib(idle.heapUsed)}`);

    api = await startBenchService({ ...spec, role: 'api' });
    const insertStarted = Date.now();
    await insertOpens(api);
    console.log(
      `${OPERATIONS} opens accepted through the intake in ${((Date.now() - insertStarted) / 1000).toFixed(1)} s`,
    );
    await waitUntilRunning(api.db, CONCURRENCY);
    await sleep(5000); // several relay passes (every second) and lease renewals in the worker process
    const loaded = await sample(worker);
    const statuses = (await api.db('operations').select('status').count({ n: '*' }).groupBy('status')) as Array<{
      status: string;
      n: number | string;
    }>;
    const jobs = await queue.getJobCounts('waiting', 'active', 'prioritized', 'delayed');
    console.log(`operations in the database: ${statuses.map((s) => `${s.status} ${s.n}`).join(', ')}`);
    console.log(
      `jobs in BullMQ: waiting ${jobs.waiting}, active ${jobs.active} (the relay only enqueues the oldest 500 runnable)`,
    );
    console.log(`loaded: RSS ${mib(loaded.rss)}, heap used ${mib(loaded.heapUsed)}`);
    console.log(`heap used, loaded ÷ idle: ${(loaded.heapUsed / idle.heapUsed).toFixed(3)}`);
    console.log(
      `ratio: ${(loaded.rss / idle.rss).toFixed(3)} (RSS with ${OPERATIONS} operations queued ÷ RSS idle with an empty queue)`,
    );
  } finally {
    // BullMQ 6 makes the worker's forced close after the grace period wait for the running jobs anyway, and the
    // sandbox holds them for ten minutes: end the held calls once the grace period has passed.
    const stopping = worker?.stop();
    await sleep(worker ? GRACE_MS + 500 : 0);
    await sandbox.close();
    await stopping;
    await api?.stop();
    await queue.close();
    await connection.quit();
    await deleteQueueKeys(redis.url, spec.queueName);
    await database.destroy();
    await redis.stop();
  }
}

/** The median of a few samples, a second apart. */
async function sample(target: TargetProcess) {
  const samples = [];
  for (let i = 0; i < SAMPLES; i++) {
    if (i > 0) await sleep(1000);
    samples.push(await target.memory());
  }
  return {
    rss: percentile(
      samples.map((s) => s.rss),
      50,
    ),
    heapUsed: percentile(
      samples.map((s) => s.heapUsed),
      50,
    ),
  };
}

async function insertOpens(api: Awaited<ReturnType<typeof startBenchService>>): Promise<void> {
  const intake = new HookIntake({
    db: api.db,
    ...api.stores,
    now: () => new Date(),
    settings: configSchema.parse({}).lifecycle,
  });
  let next = 0;
  const insert = async () => {
    for (let i = next++; i < OPERATIONS; i = next++) {
      const body = hookBodySchemas.open.parse({ eventId: `evt-m-${i}`, service: openFacts(`vps-m-${i}`, i) });
      await intake.accept('open', body);
      // SQLite answers synchronously: without a turn of the event loop now and then, nothing else (Redis) runs.
      await new Promise((resolve) => setImmediate(resolve));
      if (i % 500 === 0) api.relay.nudge();
    }
  };
  await Promise.all(Array.from({ length: 8 }, insert));
  api.relay.nudge();
}

async function waitUntilRunning(db: Awaited<ReturnType<typeof startBenchService>>['db'], expected: number) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const [row] = (await db('operations').where({ status: 'running' }).count({ n: '*' })) as Array<{ n: number }>;
    if (Number(row?.n) >= expected) return;
    await sleep(200);
  }
  console.log('note: fewer operations than the concurrency are running after 30 s');
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
