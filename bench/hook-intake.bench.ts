import crypto from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  benchRedis,
  benchSpec,
  createBenchDatabase,
  deleteQueueKeys,
  forkTarget,
  HookSender,
  machineBanner,
  ms,
  openFacts,
  percentile,
  sleep,
} from './support';
import { describeCounts, medianCounts, subtractCounts, type SqlCounts } from './sql-counter';

/**
 * Signed `open` hooks under open-loop load: requests are sent on a fixed schedule whatever the answers do, and
 * latency runs from the scheduled send time (so a server that falls behind cannot hide it). The service runs with
 * role `api` (no workers) in its own process; the baselines are a bare express app (JSON parse, 202) and the minimal
 * durable intake (`minimal-intake.ts`: HMAC check, one transaction with the same two rows, one BullMQ add), each in
 * its own process; the load comes from this process. Each target climbs the ladder of rates until a step is not
 * sustained. Before the ladder, hooks sent one at a time give the SQL statements and commits per hook.
 */
const STEP_MS = Number(process.env.BENCH_STEP_MS ?? 5000);
const RATES = (process.env.BENCH_RATES ?? '100,200,300,400,600,800,1200,1600,2400,3200,4800').split(',').map(Number);
const P99_LIMIT_MS = 100;
const DRAIN_MS = 10_000;
/** Hooks sent one at a time to count statements per hook; the median hides a relay pass that fell between. */
const COUNTED_HOOKS = 25;

interface Step {
  rate: number;
  sent: number;
  ok: number;
  failed: number;
  unfinished: number;
  achieved: number;
  p50: number;
  p99: number;
  /** How late the generator itself sent (p99): large values mean the load generator, not the target, was the limit. */
  sendLag: number;
  sustained: boolean;
  /** CPU time the target process used per answered hook (robust to other work on the machine). */
  cpuMsPerHook: number;
}

async function main(): Promise<void> {
  console.log(machineBanner());
  console.log(
    `open loop: ${STEP_MS / 1000} s per rate; sustained = every answer 202, p99 ≤ ${P99_LIMIT_MS} ms, ≥ 95% of the rate achieved`,
  );
  const redis = await benchRedis();
  const database = await createBenchDatabase();
  const minimalDatabase = await createBenchDatabase();
  const spec = benchSpec({
    role: 'api',
    databaseUrl: database.url,
    redisUrl: redis.url,
    sandboxApiUrl: 'http://127.0.0.1:9/billmgr', // never called: role api runs no workers
  });
  try {
    console.log('\nbaseline: bare express app, express.json(), 202');
    const { steps: baseline } = await climb({ kind: 'baseline' }, spec.hookSecret);
    console.log(
      `\nminimal intake: express, HMAC check, one transaction (operation + hook event), one BullMQ add, ${database.kind}`,
    );
    const minimalSpec = { ...spec, databaseUrl: minimalDatabase.url };
    const minimal = await climb({ kind: 'minimal-intake', spec: minimalSpec }, spec.hookSecret);
    console.log(
      `\nservice: role api (no workers; the relay still enqueues), ${database.kind}, log level info to /dev/null`,
    );
    const { steps: service, counts } = await climb({ kind: 'service', spec }, spec.hookSecret);
    const best = (steps: Step[]) => {
      const sustained = steps.filter((s) => s.sustained);
      return sustained.length
        ? { value: Math.max(...sustained.map((s) => s.rate)), how: 'highest sustained rate' }
        : { value: Math.max(...steps.map((s) => s.achieved)), how: 'no rate sustained: highest achieved' };
    };
    const ours = best(service);
    const bare = best(baseline);
    const floor = best(minimal.steps);
    console.log(
      `\nservice max: ${ours.value.toFixed(0)}/s (${ours.how}); minimal intake max: ${floor.value.toFixed(0)}/s ` +
        `(${floor.how}); bare express max: ${bare.value.toFixed(0)}/s (${bare.how})`,
    );
    if (counts) console.log(`service per hook: ${describeCounts(counts)} (aim ≤ 4 statements, 1 commit)`);
    if (minimal.counts) console.log(`minimal intake per hook: ${describeCounts(minimal.counts)}`);
    if (baseline.every((s) => s.sustained))
      console.log(
        'note: the baseline sustained every rate tried; its true maximum is higher, so the ratio is an upper bound',
      );
    const cpu = (steps: Step[]) =>
      percentile(
        steps.map((s) => s.cpuMsPerHook),
        50,
      );
    console.log(
      `target CPU per hook (median over steps): service ${cpu(service).toFixed(2)} ms, minimal intake ` +
        `${cpu(minimal.steps).toFixed(2)} ms, bare express ${cpu(baseline).toFixed(2)} ms → one core could answer about ` +
        `${(1000 / cpu(service)).toFixed(0)}/s, ${(1000 / cpu(minimal.steps)).toFixed(0)}/s and ` +
        `${(1000 / cpu(baseline)).toFixed(0)}/s`,
    );
    console.log(
      `ratio vs minimal intake: ${(ours.value / floor.value).toFixed(3)} (service's max sustained hooks/s ÷ the ` +
        `minimal durable intake's; aim ≥ 0.8)`,
    );
    console.log(
      `ratio: ${(ours.value / bare.value).toFixed(3)} (service's max sustained hooks/s ÷ bare express app's; aim ≥ 0.45)`,
    );
  } finally {
    await deleteQueueKeys(redis.url, spec.queueName);
    await deleteQueueKeys(redis.url, `${spec.queueName}_minimal`);
    await database.destroy();
    await minimalDatabase.destroy();
    await redis.stop();
  }
}

/**
 * Runs the ladder of rates against one target (started fresh in its own process) until a step is not sustained;
 * first counts the target's SQL per hook (null for the bare app, which has no database).
 */
async function climb(
  target: Parameters<typeof forkTarget>[0],
  secret: string,
): Promise<{ steps: Step[]; counts: SqlCounts | null }> {
  const child = await forkTarget(target);
  const sender = new HookSender(child.url!, secret, 512);
  const steps: Step[] = [];
  let counts: SqlCounts | null = null;
  try {
    await openLoop(sender, 100, 1000, 'warm'); // JIT, connections, first SQLite pages
    counts = await countPerHook(child, sender);
    if (counts) console.log(`   per hook, one at a time (median of ${COUNTED_HOOKS}): ${describeCounts(counts)}`);
    console.log('   rate/s  achieved/s    p50 ms    p99 ms  send lag p99  failed  unfinished  target CPU ms/hook');
    for (const rate of RATES) {
      const cpuBefore = await child.cpuMs();
      const step = await openLoop(sender, rate, STEP_MS, `r${rate}`);
      step.cpuMsPerHook = ((await child.cpuMs()) - cpuBefore) / step.ok;
      steps.push(step);
      console.log(
        `${String(rate).padStart(9)} ${step.achieved.toFixed(0).padStart(11)} ${step.p50.toFixed(1).padStart(9)} ` +
          `${step.p99.toFixed(1).padStart(9)} ${ms(step.sendLag).padStart(13)} ${String(step.failed).padStart(7)} ` +
          `${String(step.unfinished).padStart(11)} ${step.cpuMsPerHook.toFixed(2).padStart(19)}` +
          `${step.sustained ? '' : '  ← not sustained'}`,
      );
      if (!step.sustained) break;
      await sleep(500);
    }
  } finally {
    sender.close();
    await child.stop();
  }
  return { steps, counts };
}

/** Sends hooks one at a time and reads the target's SQL counters around each: the median per hook. */
async function countPerHook(child: Awaited<ReturnType<typeof forkTarget>>, sender: HookSender) {
  if (!(await child.sqlCounts())) return null;
  const run = crypto.randomBytes(3).toString('hex');
  const samples: SqlCounts[] = [];
  for (let i = 0; i < COUNTED_HOOKS; i++) {
    const before = (await child.sqlCounts())!;
    const id = `count-${run}-${i}`;
    const answer = await sender.send('open', { eventId: `evt-${id}`, service: openFacts(id, i) });
    if (answer.status !== 202) throw new Error(`counted hook: HTTP ${answer.status} ${answer.body}`);
    samples.push(subtractCounts((await child.sqlCounts())!, before));
  }
  return medianCounts(samples);
}

/** Sends `rate` hooks per second for `durationMs` on a fixed schedule and waits (up to DRAIN_MS) for the answers. */
async function openLoop(sender: HookSender, rate: number, durationMs: number, label: string): Promise<Step> {
  const total = Math.round((rate * durationMs) / 1000);
  const interval = 1000 / rate;
  const run = crypto.randomBytes(3).toString('hex');
  const latencies: number[] = [];
  const lags: number[] = [];
  const pending = new Set<Promise<void>>();
  let failed = 0;
  let sent = 0;
  let lastAnswer = 0;
  const start = performance.now() + 5;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (sent < total && start + sent * interval <= now) {
        const scheduled = start + sent * interval;
        const id = `${label}-${run}-${sent}`;
        lags.push(now - scheduled);
        const request = sender
          .send('open', { eventId: `evt-${id}`, service: openFacts(id, sent) })
          .then(
            (answer) => (answer.status === 202 ? latencies.push(performance.now() - scheduled) : failed++),
            () => failed++,
          )
          .then(() => {
            lastAnswer = performance.now();
            pending.delete(request);
          });
        pending.add(request);
        sent++;
      }
      if (sent < total) setTimeout(tick, Math.max(0, start + sent * interval - performance.now()));
      else resolve();
    };
    setTimeout(tick, 5);
  });
  await Promise.race([Promise.allSettled([...pending]), sleep(DRAIN_MS)]);
  const unfinished = pending.size;
  // Unanswered requests count as infinitely late.
  const all = [...latencies, ...new Array<number>(unfinished).fill(Number.POSITIVE_INFINITY)];
  const achieved = latencies.length / ((Math.max(lastAnswer, start + durationMs) - start) / 1000);
  const p99 = percentile(all, 99);
  return {
    rate,
    sent,
    ok: latencies.length,
    failed,
    unfinished,
    achieved,
    p50: percentile(all, 50),
    p99,
    sendLag: percentile(lags, 99),
    sustained: failed === 0 && unfinished === 0 && p99 <= P99_LIMIT_MS && achieved >= 0.95 * rate,
    cpuMsPerHook: Number.NaN,
  };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
