import type { Knex } from 'knex';

/** One SQL statement the database was sent, with the code that sent it. */
export interface CountedStatement {
  sql: string;
  /** The innermost frame of our own code (src/ or modules/) that sent it: `function (file)`. */
  place: string;
  /** The frame of our own code that called `place`, when the async stack shows one. */
  caller: string | null;
  /** Every frame of our own code in its (async) stack, innermost first. */
  frames: string[];
}

export interface StatementTally {
  statements: CountedStatement[];
  /** Statements that are not transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT …): the work itself. */
  work: number;
  /** Durable commits: each COMMIT, plus each write sent outside a transaction (it commits on its own). */
  commits: number;
  /** Writes that ran outside any transaction, each a commit of its own (counted in `commits` too). */
  autocommits: number;
  /** Work statements per place, most first: where the statements come from. */
  byPlace(): Array<[string, number]>;
  /** A printable breakdown: totals, then each statement in order with its place. */
  describe(): string;
}

const CONTROL = /^\s*(begin|commit|rollback|savepoint|release savepoint|rollback to savepoint)\b/i;
const WRITE = /^\s*(insert|update|delete|replace|with\b[\s\S]*\b(insert|update|delete)\b)/i;
const OWN_CODE = /[/\\](src|modules)[/\\]/;

/**
 * Counts the statements sent through `db` (knex `query` events, BEGIN and COMMIT included) until `stop()`. Counts are
 * deterministic for a given path, so tests may assert them; timings are not and are never measured here.
 */
export function countStatements(
  db: Knex,
  /** Statements to leave out (e.g. the relay's periodic pass, which runs beside what is measured). */
  ignore: (statement: CountedStatement) => boolean = () => false,
): { stop(): StatementTally } {
  const statements: CountedStatement[] = [];
  let autocommits = 0;
  const listener = (query: { sql: string; __knexTxId?: string }) => {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 60; // knex's own frames come first; ours are further down
    const frames = ownFrames(new Error().stack ?? '');
    Error.stackTraceLimit = limit;
    const statement = { sql: query.sql, place: frames[0] ?? 'unknown', caller: frames[1] ?? null, frames };
    if (ignore(statement)) return;
    statements.push(statement);
    if (!query.__knexTxId && WRITE.test(query.sql)) autocommits += 1;
  };
  db.on('query', listener);
  return {
    stop() {
      db.removeListener('query', listener);
      return tally(statements, autocommits);
    },
  };
}

function tally(statements: CountedStatement[], autocommits: number): StatementTally {
  const work = statements.filter((s) => !CONTROL.test(s.sql));
  const commits = statements.filter((s) => /^\s*commit\b/i.test(s.sql)).length + autocommits;
  const byPlace = () => {
    const counts = new Map<string, number>();
    for (const s of work) counts.set(s.place, (counts.get(s.place) ?? 0) + 1);
    return [...counts].sort((a, b) => b[1] - a[1]);
  };
  return {
    statements,
    work: work.length,
    commits,
    autocommits,
    byPlace,
    describe() {
      const lines = [
        `${work.length} statements, ${commits} commits (${autocommits} of them writes outside a transaction)`,
        ...statements.map(
          (s) =>
            `  ${s.place.padEnd(58)} ${s.caller ? `← ${s.caller}`.padEnd(52) : ''.padEnd(52)} ${s.sql.slice(0, 90)}`,
        ),
      ];
      return lines.join('\n');
    },
  };
}

/** The frames of our own code in a stack, innermost first, as `function (file)`. */
function ownFrames(stack: string): string[] {
  const frames: string[] = [];
  for (const line of stack.split('\n').slice(1)) {
    if (!OWN_CODE.test(line) || line.includes('node_modules')) continue;
    const match = /at (?:async )?(\S+) \((?:.*[/\\])?([^/\\:]+):\d+:\d+\)/.exec(line);
    const frame = match ? `${match[1]} (${match[2]})` : line.trim();
    if (frames[frames.length - 1] !== frame) frames.push(frame);
  }
  return frames;
}
