import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../../src/config/schema';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** Variables a worker process must not inherit from the test run (`loadConfig` lets some win over the file). */
export const CONFIG_ENV = [
  'NODE_ENV',
  'CONFIG',
  'PORT',
  'DATABASE_URL',
  'REDIS_URL',
  'HOOK_SECRET',
  'ADMIN_TOKEN',
  'ENCRYPTION_KEY',
  'LOG_LEVEL',
  'ENCRYPTION_KEY_PREVIOUS',
  'CALLBACK_SECRET',
  'PLATFORM_TOKEN',
  'VIEWER_TOKEN',
  'LICENSE_MODULE_CRASH_AT',
  'LICENSE_MODULE_STALL_AT',
];

export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves once the process has exited, with how. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything it wrote to stdout and stderr so far (for failure messages). */
  output(): string;
  /** Waits for the exit, failing after `timeoutMs` with the process's output. */
  waitForExit(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`; resolves once it is gone. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Writes a configuration file for a separate worker process that shares the test service's database, Redis,
 * secrets, queue, lifecycle settings and catalog. The encryption key is a Buffer in `Config` and hex in the file.
 */
export function writeWorkerConfig(config: Config, dir: string): string {
  const file = path.join(dir, 'worker-config.json');
  const content = {
    env: 'test',
    varDir: path.join(dir, 'var'),
    http: { port: 0, host: '127.0.0.1' },
    database: { url: config.database.url },
    redis: { url: config.redis.url },
    hooks: config.hooks,
    auth: config.auth,
    encryptionKey: config.encryptionKey.toString('hex'),
    log: { level: 'warn' },
    platform: config.platform,
    worker: config.worker,
    lifecycle: config.lifecycle,
    catalog: config.catalog,
  };
  fs.writeFileSync(file, JSON.stringify(content, null, 2));
  return file;
}

/** A temporary folder for worker configurations; remove it with `fs.rmSync(dir, { recursive: true })`. */
export function makeWorkerDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'plm-worker-'));
}

/**
 * Starts `src/index.ts --role worker` in its own Node process (tsx as a require hook, so the child IS the node
 * process and a SIGKILL it sends itself shows in its exit signal). `crashAt` sets `LICENSE_MODULE_CRASH_AT`.
 */
export function spawnWorker(configFile: string, options: { crashAt?: string } = {}): WorkerProcess {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of CONFIG_ENV) delete env[name];
  if (options.crashAt) env.LICENSE_MODULE_CRASH_AT = options.crashAt;
  const child = spawn(
    process.execPath,
    ['--require', 'tsx/cjs', 'src/index.ts', '--role', 'worker', '--config', configFile],
    { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const handle: WorkerProcess = {
    child,
    exited,
    output: () => output,
    async waitForExit(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`worker ${child.pid} still running after ${timeoutMs} ms; output:\n${output}`)),
          timeoutMs,
        );
      });
      try {
        return await Promise.race([exited, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    async stop(graceMs = 3000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  return handle;
}
