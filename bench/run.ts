import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * `npm run bench [-- name …]`: runs every `bench/*.bench.ts` (or the named ones), each in its own process so one
 * benchmark's heap and connections cannot colour the next. Each prints its figures and one `ratio:` line against a
 * baseline measured in the same run. Nothing here passes or fails on time.
 */
const only = process.argv.slice(2);
const benches = fs
  .readdirSync(__dirname)
  .filter((file) => file.endsWith('.bench.ts'))
  .filter((file) => only.length === 0 || only.some((name) => file.startsWith(name)))
  .sort();

let failed = 0;
for (const file of benches) {
  console.log(`\n=== ${file} (${new Date().toISOString()}) ===`);
  const run = spawnSync(process.execPath, ['--require', 'tsx/cjs', '--expose-gc', path.join(__dirname, file)], {
    stdio: 'inherit',
  });
  if (run.status !== 0) {
    failed++;
    console.log(`!!! ${file} exited with ${run.status ?? run.signal}`);
  }
}
console.log(`\n${benches.length - failed} of ${benches.length} benchmarks ran.`);
process.exit(failed ? 1 : 0);
