import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { KnexLicenseStore, type UpstreamFacts } from '../../src/db/license-store';

const ROOT = path.resolve(__dirname, '../..');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every source file outside `src/db/`, with its text. */
const outsideDb = [...sourceFiles(path.join(ROOT, 'src')), ...sourceFiles(path.join(ROOT, 'modules'))]
  .filter((file) => !file.startsWith(path.join(ROOT, 'src', 'db') + path.sep))
  .map((file) => ({ file: path.relative(ROOT, file), text: fs.readFileSync(file, 'utf8') }));

// Compile-time half of the guard: the facts an upstream read may write carry no state, holder or operation.
type Forbidden = Extract<keyof UpstreamFacts, 'state' | 'serviceId' | 'operationId' | 'pooledAt'>;
const noForbiddenFacts: [Forbidden] extends [never] ? true : never = true;

/** Issue 9, item 1: one owner for license states (the moves of `src/db/license-moves.ts`). */
describe('license states have one owner', () => {
  it('no code outside src/db/ runs SQL (a knex call on a table name, or raw SQL)', () => {
    const sql = /\b(?:db|trx|knex)\s*(?:<[^>]*>)?\(\s*['"`][a-z_]+['"`]|\.(?:raw|whereRaw|joinRaw)\(\s*['"`]/;
    const offenders = outsideDb.filter(({ text }) => sql.test(text)).map(({ file }) => file);
    assert.deepEqual(offenders, [], 'SQL belongs in a store under src/db/');
  });

  it('no code outside src/db/ hands the license store a state to write, or patches a license', () => {
    // A `state:` handed to any store call on licenses, or a generic update/patch of it.
    const patch = /\blicenses\s*\.\s*(?:\w+\s*\((?:[^;]|;(?=[^\n]*\)))*?\bstate\s*:|(?:update|patch)\w*\s*\()/;
    const offenders = outsideDb.filter(({ text }) => patch.test(text)).map(({ file }) => file);
    assert.deepEqual(offenders, [], 'move a license with a named move (bind, pooled, deleted …)');
  });

  it('the license store has no generic write: every write is a move named by its intent', () => {
    assert.equal(noForbiddenFacts, true);
    const methods = new Set<string>();
    for (let proto = KnexLicenseStore.prototype; proto !== Object.prototype; proto = Object.getPrototypeOf(proto))
      Object.getOwnPropertyNames(proto).forEach((name) => methods.add(name));
    const generic = [...methods].filter((name) => /^(update|patch|insert|save|upsert|set[A-Z]?)/.test(name));
    assert.deepEqual(generic, []);
  });
});
