import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { Client } from 'pg';
import { createDatabase, migrateToLatest, type DatabaseKind } from '../src/db/database';

/**
 * Parts of the upstream-bound and pool-at-scale benchmarks that `support.ts` (shared by every benchmark) does not
 * have: migrated throw-away SQLite and PostgreSQL databases side by side in one run, and a seeded random source.
 */

export const fmt = (value: number, digits = 2): string => value.toFixed(digits);

/** mulberry32: the same seed gives the same sequence, so two pools of different sizes share one mix. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Where the PostgreSQL half creates its throw-away database: env `BENCH_POSTGRES_URL`, else the local server. */
export const benchPostgresUrl = (): string =>
  process.env.BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

/** A database that exists for one benchmark and disappears with `destroy()`. */
export interface ThrowAwayDatabase {
  kind: DatabaseKind;
  url: string;
  destroy(): Promise<void>;
}

/** The same, opened and migrated to the latest schema; `destroy()` closes the pool first. */
export interface BenchDatabase extends ThrowAwayDatabase {
  db: Knex;
}

/** A SQLite file in a new temp folder. */
export async function throwAwaySqlite(): Promise<ThrowAwayDatabase> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plm-bench-db-'));
  const destroy = async () => fs.rmSync(dir, { recursive: true, force: true });
  return { kind: 'sqlite', url: `sqlite:${path.join(dir, 'bench.sqlite')}`, destroy };
}

/**
 * A database `bench_<random>` on {@link benchPostgresUrl}, dropped by `destroy()`; `{ skipped }` with the reason when
 * the server does not answer.
 */
export async function throwAwayPostgres(): Promise<ThrowAwayDatabase | { skipped: string }> {
  const adminUrl = benchPostgresUrl();
  const name = `bench_${randomBytes(6).toString('hex')}`;
  try {
    await withAdminClient(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  } catch (error) {
    return { skipped: error instanceof Error ? error.message : String(error) };
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const destroy = async () => {
    await withAdminClient(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  };
  return { kind: 'postgres', url: url.toString(), destroy };
}

/** Opens a throw-away database with the service's own `createDatabase` and runs every migration. */
export async function openMigrated(target: ThrowAwayDatabase): Promise<BenchDatabase> {
  const db = createDatabase(target.url);
  const destroy = async () => {
    await db.destroy();
    await target.destroy();
  };
  try {
    await migrateToLatest(db);
  } catch (error) {
    await destroy();
    throw error;
  }
  return { ...target, db, destroy };
}

async function withAdminClient<T>(adminUrl: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 3_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
