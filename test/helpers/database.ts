import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { Client } from 'pg';
import { createDatabase, migrateToLatest, type DatabaseKind } from '../../src/db/database';

/** Where `TEST_DB=postgres` creates its throw-away databases, unless `TEST_DATABASE_URL` says otherwise. */
export const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** A database that belongs to one test (or one suite) and disappears with `destroy()`. */
export interface TestDatabase {
  db: Knex;
  url: string;
  kind: DatabaseKind;
  /** Closes the pool and removes the database (SQLite: its folder; PostgreSQL: DROP DATABASE). */
  destroy(): Promise<void>;
}

export interface CreateTestDatabaseOptions {
  /** Run every migration up. Default true. */
  migrate?: boolean;
}

/** The backend this run tests against: env `TEST_DB`, `sqlite` (default) or `postgres`. */
export function testDatabaseKind(): DatabaseKind {
  const value = process.env.TEST_DB || 'sqlite';
  if (value !== 'sqlite' && value !== 'postgres')
    throw new Error(`TEST_DB must be sqlite or postgres (got "${value}")`);
  return value;
}

/** The PostgreSQL server test databases are created on: env `TEST_DATABASE_URL` or {@link DEFAULT_TEST_DATABASE_URL}. */
export function testPostgresAdminUrl(): string {
  return process.env.TEST_DATABASE_URL || DEFAULT_TEST_DATABASE_URL;
}

/**
 * A fresh, empty database on the backend `TEST_DB` selects, migrated to the latest schema unless
 * `{ migrate: false }`: SQLite in a new temp folder, PostgreSQL as a new database `t_<random>`.
 */
export async function createTestDatabase(options: CreateTestDatabaseOptions = {}): Promise<TestDatabase> {
  const kind = testDatabaseKind();
  const testDb = kind === 'sqlite' ? createSqliteDatabase() : await createPostgresDatabase();
  if (options.migrate ?? true) {
    try {
      await migrateToLatest(testDb.db);
    } catch (err) {
      await testDb.destroy();
      throw err;
    }
  }
  return testDb;
}

function createSqliteDatabase(): TestDatabase {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plm-test-db-'));
  const url = `sqlite:${path.join(dir, 'test.sqlite')}`;
  const db = createDatabase(url);
  return {
    db,
    url,
    kind: 'sqlite',
    destroy: async () => {
      await db.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function createPostgresDatabase(): Promise<TestDatabase> {
  const adminUrl = testPostgresAdminUrl();
  const name = `t_${randomBytes(6).toString('hex')}`;
  await withAdminClient(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = withDatabaseName(adminUrl, name);
  const db = createDatabase(url);
  return {
    db,
    url,
    kind: 'postgres',
    destroy: async () => {
      await db.destroy();
      await withAdminClient(adminUrl, (client) => dropDatabase(client, name));
    },
  };
}

async function dropDatabase(client: Client, name: string): Promise<void> {
  const { rows } = await client.query<{ version: number }>(
    "SELECT current_setting('server_version_num')::int AS version",
  );
  if ((rows[0]?.version ?? 0) >= 130000) {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    return;
  }
  await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
  await client.query(`DROP DATABASE IF EXISTS ${name}`);
}

async function withAdminClient<T>(adminUrl: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function withDatabaseName(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
