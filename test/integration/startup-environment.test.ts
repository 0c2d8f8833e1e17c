import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { CONFIG_ENV } from '../helpers/worker-process';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** Runs `src/index.ts` with `NODE_ENV` and the arguments given; resolves with its exit code and output. */
function runEntry(nodeEnv: string, args: string[]): Promise<{ code: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of CONFIG_ENV) delete env[name];
  env.NODE_ENV = nodeEnv;
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', 'src/index.ts', ...args], { cwd: REPO_ROOT, env });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}

describe('start-up refuses an unknown NODE_ENV', function () {
  this.timeout(60_000);

  it('stops before building anything, naming the value (also under npm start, whose default is development)', async () => {
    for (const args of [[], ['--default-env', 'development']]) {
      const { code, output } = await runEntry('prodution', args);
      assert.equal(code, 2, output);
      assert.match(output, /Cannot start: NODE_ENV "prodution" is not an environment of this service/);
    }
  });
});
