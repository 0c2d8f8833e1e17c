import crypto from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Knex } from 'knex';
import { databaseKind } from '../src/db/database';
import { KnexLicenseStore, activationKeyLocation, type PoolClaim } from '../src/db/license-store';
import { passwordLocation } from '../src/db/licensing-server-store';
import { addMonths, startOfMonthUtc } from '../src/domain/lifecycle';
import { SecretBox } from '../src/security/secret-box';
import {
  benchPostgresUrl,
  fmt,
  openMigrated,
  seededRandom,
  throwAwayPostgres,
  throwAwaySqlite,
  type BenchDatabase,
  type ThrowAwayDatabase,
} from './pool-support';
import { machineBanner, percentile } from './support';

/**
 * How long `KnexLicenseStore.claimPooled` takes with 100,000 pooled licenses, against a pool of 500 with the same
 * mix (so the claim query is the same shape and selectivity, and only the table size differs), on SQLite and on
 * PostgreSQL. Each claim is released straight back (unchanged), so both pools keep their size. Claims alternate
 * between the two pools, so whatever else the machine is doing weighs on both alike. A single p99 of a few thousand
 * claims swings with whatever else the machine does (one run gave 3.04×, another 1.02×, with equal medians), so the
 * claims are cut into rounds and the headline is the median of the rounds' p99s; the plan is printed at both sizes,
 * to show whether a swing is the planner's doing.
 */
const LARGE = Number(process.env.BENCH_POOL_LARGE ?? 100_000);
const SMALL = 500;
const CLAIMS = Number(process.env.BENCH_POOL_CLAIMS ?? 2500);
const ROUNDS = 5;
const WARM_UP = 100;
const DAY = 86_400_000;
/** Price lists by share of the pool: a few popular panels and a tail. */
const PRICE_LISTS: Array<[string, number]> = [
  ['3541', 0.45],
  ['4601', 0.25],
  ['55331', 0.15],
  ['3551', 0.1],
  ['6661', 0.05],
];
const SERVERS: Array<[string, number]> = [
  ['isp', 0.9],
  ['isp-eu', 0.1],
];

interface Figures {
  label: string;
  loadSeconds: number;
  small: number[];
  large: number[];
  /** p99 of each round, per pool. */
  smallRounds: number[];
  largeRounds: number[];
  plan: string[];
  smallPlan: string[];
}

async function main(): Promise<void> {
  console.log(machineBanner());
  console.log(
    `pool claim latency: ${CLAIMS} claims per pool after ${WARM_UP} warm-up, pools of ${LARGE.toLocaleString('en')} ` +
      `and ${SMALL} (baseline: same price-list/expiry/cooldown mix at 500 rows, so claims succeed and only size differs)`,
  );
  const results: Figures[] = [];
  const sqlite = await run('SQLite', throwAwaySqlite);
  if (sqlite) results.push(sqlite);
  const postgres = await run('PostgreSQL', throwAwayPostgres);
  if (postgres) results.push(postgres);
  const ratios = results.map((r) => ({ label: r.label, ratio: median(r.largeRounds) / median(r.smallRounds) }));
  const worst = ratios.reduce((a, b) => (b.ratio > a.ratio ? b : a));
  console.log(
    `ratio: ${fmt(worst.ratio)} (median of ${ROUNDS} rounds' p99 claim at ${LARGE.toLocaleString('en')} ÷ the same ` +
      `at ${SMALL}, the worse of ` +
      `${ratios.map((r) => `${r.label} ${fmt(r.ratio)}`).join(', ')}; aim ≤ 2)`,
  );
}

async function run(label: string, create: () => Promise<ThrowAwayDatabase | { skipped: string }>) {
  const first = await create();
  if ('skipped' in first) {
    console.log(`${label} half skipped: ${benchPostgresUrl()} does not answer (${first.skipped})`);
    return null;
  }
  const small = await openMigrated(first);
  const second = await create();
  const large = await ('skipped' in second ? Promise.reject(new Error(second.skipped)) : openMigrated(second)).catch(
    async (error: unknown) => {
      await small.destroy();
      throw error;
    },
  );
  try {
    const box = new SecretBox(crypto.randomBytes(32));
    const started = performance.now();
    await loadPool(small.db, box, SMALL);
    await loadPool(large.db, box, LARGE);
    const loadSeconds = (performance.now() - started) / 1000;
    const stores = [new KnexLicenseStore(small.db, box), new KnexLicenseStore(large.db, box)] as const;
    const times: [number[], number[]] = [[], []];
    const rounds = Array.from({ length: ROUNDS }, (): [number[], number[]] => [[], []]);
    const perRound = Math.ceil(CLAIMS / ROUNDS);
    const random = seededRandom(7);
    for (let i = 0; i < WARM_UP + CLAIMS; i++) {
      const claim = claimFor(i, random);
      for (const which of i % 2 ? [1, 0] : [0, 1]) {
        const ms = await claimAndRelease(stores[which]!, claim);
        if (i < WARM_UP) continue;
        times[which]!.push(ms);
        rounds[Math.floor((i - WARM_UP) / perRound)]![which]!.push(ms);
      }
    }
    const [smallPlan, plan] = [await planOf(small, stores[0]), await planOf(large, stores[1])];
    const figures = {
      label,
      loadSeconds,
      small: times[0],
      large: times[1],
      smallRounds: rounds.map((r) => p99(r[0])),
      largeRounds: rounds.map((r) => p99(r[1])),
      plan,
      smallPlan,
    };
    report(figures);
    return figures;
  } finally {
    await small.destroy();
    await large.destroy();
  }
}

async function claimAndRelease(store: KnexLicenseStore, claim: PoolClaim): Promise<number> {
  const now = new Date();
  const started = performance.now();
  const by = { actor: 'worker', at: now, operationId: claim.operationId };
  const license = await store.claimFromPool(claim, by);
  const ms = performance.now() - started;
  if (!license) throw new Error(`no eligible license for price list ${claim.priceList}: the pool mix is wrong`);
  await store.pooled(license.id, { reason: 'given_back' }, by);
  return ms;
}

function claimFor(i: number, random: () => number): PoolClaim {
  const now = new Date();
  return {
    licensingServer: pick(SERVERS, random),
    priceList: pick(PRICE_LISTS, random),
    avoided: { price: null, tariffPlan: null, period: 12 },
    paidAfter: new Date(now.getTime() + 24 * 3600_000),
    ip: `10.${Math.floor(random() * 4)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}`,
    ipChangeCutoff: startOfMonthUtc(now),
    keyCutoff: addMonths(now, -1),
    operationId: `bench-op-${i}`,
    serviceId: `bench-vps-${i}`,
  };
}

/**
 * Pooled licenses as the service leaves them: paid until the end of a UTC day from 10 days ago to a year ahead
 * (those within the 24 h margin are not claimable), a fifth with an IP change this month, a sixth with a key
 * regenerated within the month (both cooldowns the claim filters on), the rest with older or no changes.
 */
async function loadPool(db: Knex, box: SecretBox, size: number): Promise<void> {
  const now = Date.now();
  const at = new Date(now).toISOString();
  const monthStart = startOfMonthUtc(new Date(now)).getTime();
  const random = seededRandom(size);
  const when = (from: number, to: number) => new Date(from + random() * (to - from)).toISOString();
  await db('licensing_servers').insert(
    SERVERS.map(([key]) => ({
      key,
      module: 'billmanager',
      url: 'https://billing.example.net/billmgr',
      username: 'reseller',
      password_encrypted: box.encrypt('bench-password', passwordLocation(key)),
      settings: '{}',
      created_at: at,
      updated_at: at,
    })),
  );
  const batch = databaseKind(db) === 'postgres' ? 1000 : 500;
  for (let first = 0; first < size; first += batch) {
    const rows = [];
    for (let n = first; n < Math.min(size, first + batch); n++) {
      const paidDay = new Date(now + Math.floor(-10 + random() * 375) * DAY);
      const ipRoll = random();
      const keyRoll = random();
      const id = crypto.randomUUID();
      rows.push({
        id,
        licensing_server: pick(SERVERS, random),
        upstream_id: String(1_000_000 + n),
        price_list: pick(PRICE_LISTS, random),
        ip: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
        name: null,
        status: 'suspended',
        paid_until: `${paidDay.toISOString().slice(0, 10)}T23:59:59.999Z`,
        activation_key_encrypted: box.encrypt(`KEY-${n}`, activationKeyLocation(id)),
        state: 'pooled',
        ip_changed_at: ipRoll < 0.2 ? when(monthStart, now) : ipRoll < 0.5 ? when(now - 700 * DAY, monthStart) : null,
        key_regenerated_at:
          keyRoll < 0.17 ? when(now - 29 * DAY, now) : keyRoll < 0.5 ? when(now - 700 * DAY, now - 32 * DAY) : null,
        pooled_at: when(now - 300 * DAY, now),
        created_at: at,
        updated_at: at,
      });
    }
    await db('licenses').insert(rows);
  }
  // PostgreSQL's autovacuum would analyze the table within a minute; do it now so the plan is the settled one.
  if (databaseKind(db) === 'postgres') await db.raw('ANALYZE licenses');
}

/** The plan of the claim's candidate query, captured from a real claim (so it cannot drift from the store). */
async function planOf(database: BenchDatabase, store: KnexLicenseStore): Promise<string[]> {
  let query: { sql: string; bindings: unknown[] } | null = null;
  const capture = (q: { sql: string; bindings: unknown[] }) => {
    if (!query && /^select/i.test(q.sql) && /order by/i.test(q.sql)) query = q;
  };
  database.db.on('query', capture);
  await claimAndRelease(store, claimFor(-1, seededRandom(1)));
  database.db.removeListener('query', capture);
  const { sql, bindings } = query ?? { sql: 'select 1', bindings: [] };
  if (database.kind === 'sqlite') {
    const rows = (await database.db.raw(`EXPLAIN QUERY PLAN ${sql}`, bindings)) as Array<{ detail: string }>;
    return rows.map((r) => r.detail);
  }
  const explain = `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${sql.replace(/\$\d+/g, '?')}`;
  const result = (await database.db.raw(explain, bindings)) as { rows: Array<{ 'QUERY PLAN': string }> };
  return result.rows.map((r) => r['QUERY PLAN']);
}

function report(f: Figures): void {
  const line = (label: string, t: number[]) =>
    `  pool of ${label.padStart(7)}: p50 ${fmt(percentile(t, 50), 3)} ms, p90 ${fmt(percentile(t, 90), 3)} ms, p99 ${fmt(p99(t), 3)} ms, max ${fmt(Math.max(...t), 3)} ms`;
  console.log(
    [
      `${f.label} (both pools loaded in ${fmt(f.loadSeconds, 1)} s):`,
      line(SMALL.toLocaleString('en'), f.small),
      line(LARGE.toLocaleString('en'), f.large),
      `  p99 of each round of ${Math.ceil(CLAIMS / ROUNDS)} claims: ${SMALL}: ${f.smallRounds.map((v) => fmt(v, 3)).join(', ')} ms; ` +
        `${LARGE.toLocaleString('en')}: ${f.largeRounds.map((v) => fmt(v, 3)).join(', ')} ms`,
      `  p99 ratio over all claims ${fmt(p99(f.large) / p99(f.small))}; median of round p99s ` +
        `${fmt(median(f.largeRounds) / median(f.smallRounds))}`,
      `  the claim's candidate query at ${SMALL}:`,
      ...f.smallPlan.map((step) => `    ${step}`),
      `  the same at ${LARGE.toLocaleString('en')}${samePlan(f) ? ' (the same plan)' : ' (a DIFFERENT plan)'}:`,
      ...f.plan.map((step) => `    ${step}`),
      ...(f.label === 'PostgreSQL'
        ? [
            `  index entries read for the 8 candidates (EXPLAIN ANALYZE): ${indexEntriesRead(f.smallPlan)} at ${SMALL}, ` +
              `${indexEntriesRead(f.plan)} at ${LARGE.toLocaleString('en')}`,
          ]
        : []),
    ].join('\n'),
  );
}

/** Rows the plan's index scan returned plus those its filter removed. */
function indexEntriesRead(plan: string[]): number {
  const scan = plan.findIndex((step) => /Index( Only)? Scan/.test(step));
  const returned = Number(/rows=(\d+)/.exec(plan[scan] ?? '')?.[1] ?? Number.NaN);
  const removed = plan.slice(scan + 1).find((step) => /Rows Removed by Filter/.test(step));
  return returned + Number(/(\d+)/.exec(removed ?? '0')?.[1] ?? 0);
}

const p99 = (times: number[]) => percentile(times, 99);
const median = (values: number[]) => percentile(values, 50);

/** Plans compared without EXPLAIN ANALYZE's measured parts (times, rows, buffers) or the claim's literals. */
function samePlan(f: Figures): boolean {
  const shape = (plan: string[]) =>
    plan
      .filter((step) => !/^\s*(Planning|Execution|Buffers|Rows Removed)/.test(step))
      .map((step) =>
        step
          .replace(/\(actual[^)]*\)/g, '')
          .replace(/'[^']*'/g, '?')
          .trim(),
      )
      .join('\n');
  return shape(f.plan) === shape(f.smallPlan);
}

function pick(weighted: Array<[string, number]>, random: () => number): string {
  let roll = random();
  for (const [value, share] of weighted) {
    roll -= share;
    if (roll < 0) return value;
  }
  return weighted[0]![0];
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
