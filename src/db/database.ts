import fs from 'node:fs';
import path from 'node:path';
import knex, { type Knex } from 'knex';
import { migrationSource } from '../../migrations';
import { ServiceSqliteClient } from './sqlite-client';

export type DatabaseKind = 'sqlite' | 'postgres';

export interface DatabaseTarget {
  kind: DatabaseKind;
  /** The URL as configured; for SQLite `sqlite:PATH` (or `sqlite::memory:`). */
  url: string;
}

/** Reads `postgres://…`, `postgresql://…` or `sqlite:PATH`; anything else is a configuration error. */
export function parseDatabaseUrl(url: string): DatabaseTarget {
  if (/^postgres(ql)?:\/\//.test(url)) return { kind: 'postgres', url };
  if (url.startsWith('sqlite:')) return { kind: 'sqlite', url };
  throw new Error(`database URL must start with postgres:// or sqlite: (got "${url.split(':')[0]}:…")`);
}

/** Opens a knex instance. SQLite files are created (with their folder) on first use. */
export function createDatabase(url: string): Knex {
  const target = parseDatabaseUrl(url);
  if (target.kind === 'postgres') {
    return knex({
      client: 'pg',
      connection: { connectionString: url, connectionTimeoutMillis: 3000 },
      pool: { min: 0, max: 10 },
      // A hook must hear "503" quickly when the database is away, not wait a minute for a connection.
      acquireConnectionTimeout: 3000,
    });
  }
  const filename = url.slice('sqlite:'.length) || ':memory:';
  if (filename !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(filename)), { recursive: true });
  return knex({
    client: ServiceSqliteClient as unknown as typeof knex.Client,
    connection: { filename },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate(conn: { pragma(sql: string): unknown }, done: (err: Error | null, conn: unknown) => void) {
        conn.pragma('journal_mode = WAL');
        conn.pragma('busy_timeout = 5000');
        conn.pragma('foreign_keys = ON');
        done(null, conn);
      },
    },
  });
}

export function databaseKind(db: Knex): DatabaseKind {
  return db.client.config.client === 'pg' ? 'postgres' : 'sqlite';
}

/**
 * The database's clock, `offsetMs` ahead, as an ISO-8601 UTC string of the stored width (`2026-12-02T10:00:00.000Z`),
 * so that it compares as text with `lease_until`. Leases are taken and judged on this one clock: a worker host whose
 * clock runs ahead can neither steal a live lease nor lose its own.
 */
export function databaseTime(db: Knex, offsetMs = 0): Knex.Raw {
  if (databaseKind(db) === 'postgres') {
    return db.raw(
      `to_char((clock_timestamp() + ?::bigint * interval '1 millisecond') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
      [Math.round(offsetMs)],
    );
  }
  return db.raw(`strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?)`, [`${offsetMs / 1000} seconds`]);
}

export async function migrateToLatest(db: Knex): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({ migrationSource })) as [number, string[]];
  return applied;
}

export async function rollbackAll(db: Knex): Promise<void> {
  await db.migrate.rollback({ migrationSource }, true);
}

/** True when a trivial query answers; used by readiness checks. */
export async function pingDatabase(db: Knex): Promise<boolean> {
  try {
    await db.raw('select 1');
    return true;
  } catch {
    return false;
  }
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  '57P01',
  '57P03',
  '08001',
  '08006',
]);

/** True for errors that mean the database is unreachable or busy, not that the query was wrong. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const e = error as { code?: string; name?: string; message?: string } | null;
  if (!e) return false;
  if (e.name === 'KnexTimeoutError') return true;
  if (e.code && (UNAVAILABLE_CODES.has(e.code) || e.code.startsWith('SQLITE_BUSY'))) return true;
  return /Connection terminated|connect ECONNREFUSED|database system is (starting up|shutting down)/.test(
    e.message ?? '',
  );
}
