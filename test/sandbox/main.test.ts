import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** Starts `src/sandbox/main.ts` as `npm run sandbox` would, on a random port; resolves with its API URL. */
async function startMain(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; apiUrl: string; output: () => string }> {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', 'src/sandbox/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, SANDBOX_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const apiUrl = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const match = /API endpoint:\s+(\S+)/.exec(output);
      if (match) resolve(match[1]!);
      if (match || child.exitCode !== null) clearInterval(timer);
      if (child.exitCode !== null && !match) reject(new Error(`sandbox exited: ${output}`));
    }, 25);
  });
  return { child, apiUrl, output: () => output };
}

describe('sandbox: npm run sandbox (main.ts)', () => {
  it('prints where it listens and the credentials, logs calls without secrets, stops on SIGTERM', async () => {
    const { child, apiUrl, output } = await startMain({ SANDBOX_USERNAME: 'demo', SANDBOX_PASSWORD: 'Pa55-demo' });
    try {
      assert.match(output(), /Credentials:\s+demo \/ Pa55-demo/);
      const auth = await fetch(apiUrl, {
        method: 'POST',
        body: new URLSearchParams({ out: 'xml', func: 'auth', username: 'demo', password: 'Pa55-demo' }),
      }).then((r) => r.text());
      const session = /id="([0-9a-f]+)"/.exec(auth)![1]!;
      const order = await fetch(apiUrl, {
        method: 'POST',
        body: new URLSearchParams({
          out: 'xml',
          auth: session,
          func: 'soft.order.param',
          pricelist: '3541',
          period: '1',
          ip: '10.0.0.1',
          skipbasket: 'on',
          sok: 'ok',
        }),
      }).then((r) => r.text());
      assert.match(order, /<id>\d+<\/id>/);
      const state = (await fetch(apiUrl.replace('/billmgr', '/_sandbox/state')).then((r) => r.json())) as {
        licenses: { lickey: string }[];
      };
      const key = state.licenses[0]!.lickey;
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 0);
      const logLines = output()
        .split('\n')
        .filter((line) => line.startsWith('{'));
      const calls = logLines.filter((line) => line.includes('"api call"'));
      assert.equal(calls.length, 2);
      assert.match(calls[1]!, /"func":"soft.order.param"/);
      for (const line of logLines) {
        for (const secret of ['Pa55-demo', session, key]) assert.ok(!line.includes(secret), line);
      }
      assert.match(output(), /sandbox stopped/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('refuses an invalid configuration, naming the variable', async () => {
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', 'src/sandbox/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, SANDBOX_PORT: 'eighty' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 1);
    assert.match(output, /SANDBOX_PORT/);
  });
});
