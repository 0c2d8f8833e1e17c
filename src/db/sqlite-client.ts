/**
 * knex's better-sqlite3 client, with two changes that matter to this service.
 *
 * 1. Write transactions take SQLite's write lock when they begin. knex opens every SQLite transaction with a plain
 *    `BEGIN`, which takes no lock until the first write. A transaction that reads first (a lease check, a replay
 *    look-up) and writes after then fails at once with `SQLITE_BUSY_SNAPSHOT` when another process (an API process
 *    beside a worker process, on one database file) committed in between: SQLite does not wait on `busy_timeout` for
 *    a reader that wants to become a writer. `BEGIN IMMEDIATE` takes the write lock up front, so concurrent writers
 *    queue behind `busy_timeout` instead of failing. Every transaction of this service writes, so none is held back
 *    needlessly.
 * 2. Prepared statements are kept per connection and reused: knex prepares every query anew, and preparing costs
 *    about as much as running the short statements this service makes.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- knex ships these classes without type declarations */
const ClientBetterSqlite3 = require('knex/lib/dialects/better-sqlite3') as new (config: unknown) => {
  acquireRawConnection(): Promise<PreparingConnection>;
};
const TransactionSqlite = require('knex/lib/dialects/sqlite3/execution/sqlite-transaction') as new (
  ...args: unknown[]
) => { query(conn: unknown, sql: string): Promise<unknown> };
/* eslint-enable @typescript-eslint/no-require-imports */

/** Distinct SQL texts kept per connection; past this the cache starts over (the service makes a few hundred). */
const MAX_CACHED_STATEMENTS = 1000;

interface PreparingConnection {
  prepare(sql: string): unknown;
}

class ImmediateTransaction extends TransactionSqlite {
  begin(conn: unknown): Promise<unknown> {
    return this.query(conn, 'BEGIN IMMEDIATE;');
  }
}

export class ServiceSqliteClient extends ClientBetterSqlite3 {
  transaction(...args: unknown[]): object {
    return new ImmediateTransaction(this, ...args);
  }

  override async acquireRawConnection(): Promise<PreparingConnection> {
    const connection = await super.acquireRawConnection();
    const prepare = connection.prepare.bind(connection);
    const statements = new Map<string, unknown>();
    // better-sqlite3 runs a statement to its end before it returns, so one prepared statement serves every caller.
    connection.prepare = (sql: string) => {
      let statement = statements.get(sql);
      if (statement === undefined) {
        if (statements.size >= MAX_CACHED_STATEMENTS) statements.clear();
        statement = prepare(sql);
        statements.set(sql, statement);
      }
      return statement;
    };
    return connection;
  }
}
