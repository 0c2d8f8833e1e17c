/**
 * knex's better-sqlite3 client with write transactions that take SQLite's write lock when they begin.
 *
 * knex opens every SQLite transaction with a plain `BEGIN`, which takes no lock until the first write. A transaction
 * that reads first (a lease check, a replay look-up) and writes after then fails at once with `SQLITE_BUSY_SNAPSHOT`
 * when another process (an API process beside a worker process, on one database file) committed in between: SQLite
 * does not wait on `busy_timeout` for a reader that wants to become a writer. `BEGIN IMMEDIATE` takes the write lock
 * up front, so concurrent writers queue behind `busy_timeout` instead of failing. Every transaction of this service
 * writes, so none is held back needlessly.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- knex ships these classes without type declarations */
const ClientBetterSqlite3 = require('knex/lib/dialects/better-sqlite3') as new (config: unknown) => object;
const TransactionSqlite = require('knex/lib/dialects/sqlite3/execution/sqlite-transaction') as new (
  ...args: unknown[]
) => { query(conn: unknown, sql: string): Promise<unknown> };
/* eslint-enable @typescript-eslint/no-require-imports */

class ImmediateTransaction extends TransactionSqlite {
  begin(conn: unknown): Promise<unknown> {
    return this.query(conn, 'BEGIN IMMEDIATE;');
  }
}

export class ImmediateSqliteClient extends ClientBetterSqlite3 {
  transaction(...args: unknown[]): object {
    return new ImmediateTransaction(this, ...args);
  }
}
