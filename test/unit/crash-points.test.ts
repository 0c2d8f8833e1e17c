import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/**
 * Runs the crash and stall points in a child process whose environment arms both, and reports how it ended and how
 * long the stall point held it. `NODE_ENV` is set the way the entry point sets it: after the module has loaded.
 */
function runArmedPoints(nodeEnv: string): Promise<{ signal: NodeJS.Signals | null; output: string }> {
  const script = `
    const { crashPoint } = require('./src/lifecycle/crash-points');
    process.env.NODE_ENV = ${JSON.stringify(nodeEnv)};
    const started = Date.now();
    crashPoint('after-call:prolong');
    const stalledMs = Date.now() - started;
    crashPoint('after-call:order');
    console.log(JSON.stringify({ survived: true, stalledMs }));
  `;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LICENSE_MODULE_STALL_AT: 'after-call:prolong:1500',
    LICENSE_MODULE_CRASH_AT: 'after-call:order',
  };
  delete env.NODE_ENV;
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', '-e', script], { cwd: REPO_ROOT, env });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (_code, signal) => resolve({ signal, output })));
}

describe('crash and stall points', function () {
  this.timeout(30_000);

  it('are inert under NODE_ENV=production, whatever variables are set', async () => {
    const { signal, output } = await runArmedPoints('production');
    assert.equal(signal, null, output);
    const report = JSON.parse(output.trim().split('\n').at(-1)!);
    assert.equal(report.survived, true);
    assert.ok(report.stalledMs < 500, `no stall (${report.stalledMs} ms)`);
  });

  it('work where the fault tests use them (outside production): the stall holds, the crash kills', async () => {
    const { signal, output } = await runArmedPoints('test');
    assert.equal(signal, 'SIGKILL', output);
    assert.match(output, /stall point reached: after-call:prolong/);
    assert.match(output, /crash point reached: after-call:order/);
  });
});
