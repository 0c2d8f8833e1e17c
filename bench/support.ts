import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { ensureRedis } from '../src/infra/redis-runtime';

export * from './support-processes';
export * from './support-service';

// Shared parts of the benchmarks: machine banner, statistics, Redis and databases here; the service, signed hooks and
// the baseline app in `support-service.ts`; child processes in `support-processes.ts` (all exported from here).

/** The machine, and its load when the benchmark starts (other work on it colours every figure). */
export function machineBanner(): string {
  const cpus = os.cpus();
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return `machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, Node ${process.version}; load average ${load}`;
}

/** CPU time (user + system) this process used since `since` (from `process.cpuUsage()`), in milliseconds. */
export function cpuMsSince(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

/** Nearest-rank percentile (p in 0..100) of the values; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const ms = (value: number): string => (Number.isFinite(value) ? `${value.toFixed(1)} ms` : 'n/a');
export const sleep = (delayMs: number) => new Promise<void>((resolve) => setTimeout(resolve, delayMs));
export const uniqueName = (label: string): string => `bench_${label}_${crypto.randomBytes(5).toString('hex')}`;

/** `REDIS_URL`, else the Redis at 127.0.0.1:6379, else a private `redis-server` for this run. */
export async function benchRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const varDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plm-bench-redis-'));
  const logger = { info: () => undefined, warn: () => undefined };
  const runtime = await ensureRedis({ configuredUrl: process.env.REDIS_URL || undefined, varDir, logger });
  return {
    url: runtime.url,
    stop: async () => {
      await runtime.stop();
      fs.rmSync(varDir, { recursive: true, force: true });
    },
  };
}

/** Removes every key of a BullMQ queue (and of its `-maintenance` sibling): `bull:<queueName>…`. */
export async function deleteQueueKeys(redisUrl: string, queueName: string): Promise<number> {
  const client = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `bull:${queueName}*`, 'COUNT', 1000);
      if (keys.length > 0) deleted += await client.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
    return deleted;
  } finally {
    await client.quit().catch(() => client.disconnect());
  }
}

export interface BenchDatabase {
  url: string;
  kind: 'sqlite' | 'postgres';
  destroy(): Promise<void>;
}

/** SQLite in a temp folder; with `BENCH_DATABASE_URL`, a throw-away database on that PostgreSQL server. */
export async function createBenchDatabase(): Promise<BenchDatabase> {
  const serverUrl = process.env.BENCH_DATABASE_URL;
  if (!serverUrl) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plm-bench-db-'));
    const destroy = async () => fs.rmSync(dir, { recursive: true, force: true });
    return { url: `sqlite:${path.join(dir, 'bench.sqlite')}`, kind: 'sqlite', destroy };
  }
  const name = uniqueName('db');
  const admin = async (sql: string) => {
    const client = new Client({ connectionString: serverUrl, connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    kind: 'postgres',
    destroy: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}
