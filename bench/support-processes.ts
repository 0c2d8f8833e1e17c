import { fork, spawn } from 'node:child_process';
import path from 'node:path';
import type { SandboxCall } from '../src/sandbox/server';
import type { SqlCounts } from './sql-counter';
import { SANDBOX_PASSWORD, SANDBOX_USER, type BenchServiceSpec } from './support-service';

// Child processes of the benchmarks: the sandbox on its own, and the baseline app or the service as a target.

/** The sandbox in its own process (`src/sandbox/main.ts`), so its work does not share the service's event loop. */
export async function startSandboxProcess(options: { latencyMs?: number; balance?: number } = {}) {
  const main = path.join(__dirname, '..', 'src', 'sandbox', 'main.ts');
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', main], {
    env: {
      ...process.env,
      SANDBOX_PORT: '0',
      SANDBOX_USERNAME: SANDBOX_USER,
      SANDBOX_PASSWORD: SANDBOX_PASSWORD,
      SANDBOX_BALANCE: String(options.balance ?? 100_000_000),
      SANDBOX_LATENCY_MS: String(options.latencyMs ?? 0),
      LOG_LEVEL: 'silent',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const found = /listening on (http:\/\/\S+)/.exec(out);
      if (found) resolve(found[1]!);
    });
    child.once('exit', (code) => reject(new Error(`sandbox process exited with ${code}`)));
  });
  return {
    url,
    apiUrl: `${url}/billmgr`,
    calls: async () => (await (await fetch(`${url}/_sandbox/calls`)).json()) as SandboxCall[],
    close: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * What a target process runs: the bare baseline app, the service with a spec, or the minimal intake (signature,
 * one transaction, one BullMQ add) on the spec's database and queue.
 */
export type TargetKind =
  | { kind: 'baseline' }
  | { kind: 'service'; spec: BenchServiceSpec }
  | { kind: 'minimal-intake'; spec: BenchServiceSpec };
export type TargetMessage =
  | { type: 'ready'; url: string | null }
  | { type: 'memory'; rss: number; heapUsed: number; external: number }
  | { type: 'cpu'; cpuMs: number }
  | { type: 'sql'; counts: SqlCounts | null }
  | { type: 'stopped' };

export interface TargetProcess {
  url: string | null;
  /** Memory of the target process, after `global.gc()` there. */
  memory(): Promise<{ rss: number; heapUsed: number; external: number }>;
  /** CPU time (user + system) the target process has used so far, in milliseconds. */
  cpuMs(): Promise<number>;
  /** Statements and commits the target's database connection has sent so far; null for the bare app. */
  sqlCounts(): Promise<SqlCounts | null>;
  stop(): Promise<void>;
}

/** Runs the baseline app or the service in a child process (`bench/target-process.ts`), so load is generated apart. */
export async function forkTarget(target: TargetKind): Promise<TargetProcess> {
  const child = fork(path.join(__dirname, 'target-process.ts'), [], {
    // BENCH_TARGET_NODE_ARGS: extra Node flags for the target, e.g. `--cpu-prof --cpu-prof-dir=prof`.
    execArgv: [
      '--require',
      'tsx/cjs',
      '--expose-gc',
      ...(process.env.BENCH_TARGET_NODE_ARGS ?? '').split(' ').filter(Boolean),
    ],
    env: { ...process.env, BENCH_TARGET: JSON.stringify(target) },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const next = <T extends TargetMessage['type']>(type: T) =>
    new Promise<Extract<TargetMessage, { type: T }>>((resolve, reject) => {
      const onMessage = (message: TargetMessage) => {
        if (message.type !== type) return;
        child.off('message', onMessage);
        resolve(message as Extract<TargetMessage, { type: T }>);
      };
      child.on('message', onMessage);
      void exited.then(() => reject(new Error(`target process exited before "${type}"`)));
    });
  const { url } = await next('ready');
  return {
    url,
    memory: async () => {
      const answer = next('memory');
      child.send({ type: 'memory' });
      const { rss, heapUsed, external } = await answer;
      return { rss, heapUsed, external };
    },
    cpuMs: async () => {
      const answer = next('cpu');
      child.send({ type: 'cpu' });
      return (await answer).cpuMs;
    },
    sqlCounts: async () => {
      const answer = next('sql');
      child.send({ type: 'sql' });
      return (await answer).counts;
    },
    stop: async () => {
      child.send({ type: 'stop' });
      await exited;
    },
  };
}
