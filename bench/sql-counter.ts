import type { Knex } from 'knex';

/** What one knex instance sent to its database since a counter started (or between two snapshots). */
export interface SqlCounts {
  /** Statements that do work: everything but BEGIN, COMMIT, ROLLBACK and savepoints. */
  statements: number;
  /** Every round trip to the database, transaction control included. */
  roundTrips: number;
  /** Durable commits: each COMMIT, plus each write sent outside a transaction (it commits on its own). */
  commits: number;
  /** Transactions begun (BEGIN / BEGIN IMMEDIATE). */
  transactions: number;
}

const ZERO: SqlCounts = { statements: 0, roundTrips: 0, commits: 0, transactions: 0 };
const CONTROL = /^\s*(begin|commit|rollback|savepoint|release)\b/i;
const WRITE = /^\s*(insert|update|delete|replace|with\b[\s\S]*\b(insert|update|delete)\b)/i;

/**
 * Counts the statements and commits of one knex instance by listening to its `query` events (knex emits one per
 * statement, transaction control included, with `__knexTxId` set inside a transaction). It changes nothing the
 * instance does, so the service under measurement runs its production code; only the listener is added.
 */
export function countSql(db: Knex): { read(): SqlCounts; stop(): void } {
  const counts = { ...ZERO };
  const onQuery = (query: { sql?: string; __knexTxId?: string }) => {
    const sql = query.sql ?? '';
    counts.roundTrips++;
    if (/^\s*begin\b/i.test(sql)) counts.transactions++;
    if (/^\s*commit\b/i.test(sql)) counts.commits++;
    if (CONTROL.test(sql)) return;
    counts.statements++;
    if (!query.__knexTxId && WRITE.test(sql)) counts.commits++;
  };
  db.on('query', onQuery);
  return { read: () => ({ ...counts }), stop: () => void db.removeListener('query', onQuery) };
}

export function subtractCounts(after: SqlCounts, before: SqlCounts): SqlCounts {
  return {
    statements: after.statements - before.statements,
    roundTrips: after.roundTrips - before.roundTrips,
    commits: after.commits - before.commits,
    transactions: after.transactions - before.transactions,
  };
}

/** Field by field median of several measurements (robust to a periodic pass that fell into one window). */
export function medianCounts(samples: readonly SqlCounts[]): SqlCounts {
  const median = (key: keyof SqlCounts) => {
    const sorted = samples.map((s) => s[key]).sort((a, b) => a - b);
    return sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)]! : Number.NaN;
  };
  return {
    statements: median('statements'),
    roundTrips: median('roundTrips'),
    commits: median('commits'),
    transactions: median('transactions'),
  };
}

export function describeCounts(counts: SqlCounts): string {
  return (
    `${counts.statements} statements, ${counts.commits} commits ` +
    `(${counts.roundTrips} round trips with BEGIN/COMMIT, ${counts.transactions} transactions)`
  );
}
