import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../../src/config/schema';
import type { Role } from '../../../src/service';
import { CONFIG_ENV, makeWorkerDir, writeWorkerConfig, type WorkerProcess } from '../../helpers/worker-process';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

export interface SpawnOptions {
  /** `--role`; default `worker`. `all` also serves HTTP (on a free port). */
  role?: Role;
  /** `LICENSE_MODULE_CRASH_AT`: SIGKILL itself the first time it reaches this point. */
  crashAt?: string;
  /** `LICENSE_MODULE_STALL_AT` as `<point>:<ms>`: block the event loop that long the first time it gets there. */
  stallAt?: string;
  /** Log level of the child; `info` shows `workers running`, `operation started` and each attempt's verdict. */
  logLevel?: 'info' | 'warn';
  /** Worker settings that differ from the test service's (e.g. a shorter `shutdownGraceMs`). */
  worker?: Partial<Config['worker']>;
  /** A name for failure messages. */
  label?: string;
}

export interface ServiceProcess extends WorkerProcess {
  label: string;
  /** Resolves once the output matches `pattern`; fails after `timeoutMs` (or when the process exits first). */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<void>;
  /** Resolves once BullMQ's worker runs (needs `logLevel: 'info'`). */
  ready(timeoutMs?: number): Promise<void>;
  running(): boolean;
}

/**
 * The `src/index.ts` processes of one test: spawns them on the test service's database, Redis, queue and catalog
 * (each with its own configuration file, so settings may differ), remembers them, and SIGKILLs whatever is left in
 * `killAll()` (call it in `afterEach`/`after`). Process output is kept for failure messages.
 */
export class ServiceProcesses {
  private readonly dir = makeWorkerDir();
  private readonly all: ServiceProcess[] = [];
  private counter = 0;

  constructor(private readonly config: Config) {}

  spawn(options: SpawnOptions = {}): ServiceProcess {
    const n = ++this.counter;
    const label = options.label ?? `${options.role ?? 'worker'}#${n}`;
    const configFile = this.writeConfig(n, options);
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of CONFIG_ENV) delete env[name];
    if (options.crashAt) env.LICENSE_MODULE_CRASH_AT = options.crashAt;
    if (options.stallAt) env.LICENSE_MODULE_STALL_AT = options.stallAt;
    const child = spawn(
      process.execPath,
      ['--require', 'tsx/cjs', 'src/index.ts', '--role', options.role ?? 'worker', '--config', configFile],
      { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    const listeners = new Set<() => void>();
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      for (const listener of listeners) listener();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => {
        resolve({ code, signal });
        for (const listener of listeners) listener();
      }),
    );
    const running = () => child.exitCode === null && child.signalCode === null;
    const handle: ServiceProcess = {
      label,
      child,
      exited,
      running,
      output: () => output,
      waitForExit: (timeoutMs) =>
        withTimeout(exited, timeoutMs, () => `${label} (pid ${child.pid}) still running after ${timeoutMs} ms`),
      async stop(graceMs = 3000) {
        if (!running()) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      },
      waitForOutput(pattern, timeoutMs) {
        return withTimeout(
          new Promise<void>((resolve, reject) => {
            const check = () => {
              if (pattern.test(output)) {
                listeners.delete(check);
                resolve();
              } else if (!running()) {
                listeners.delete(check);
                reject(new Error(`${label} exited before printing ${pattern}; output:\n${output}`));
              }
            };
            listeners.add(check);
            check();
          }),
          timeoutMs,
          () => `${label} did not print ${pattern} within ${timeoutMs} ms; output:\n${output}`,
        );
      },
      ready: (timeoutMs = 30_000) => handle.waitForOutput(/"msg":"workers running"/, timeoutMs),
    };
    this.all.push(handle);
    return handle;
  }

  /** SIGKILLs every process still running and waits for them to go; returns how many it killed. */
  async killAll(): Promise<number> {
    const left = this.all.filter((p) => p.running());
    for (const p of left) p.child.kill('SIGKILL');
    await Promise.all(left.map((p) => p.exited));
    return left.length;
  }

  /** Every process's output, for a failed test's report. */
  outputs(): string {
    return this.all
      .map(
        (p) => `--- ${p.label} (pid ${p.child.pid}, exit ${p.child.exitCode ?? p.child.signalCode}) ---\n${p.output()}`,
      )
      .join('\n');
  }

  /** Forgets the processes (after `killAll`), so the next test's report shows only its own. */
  forget(): void {
    this.all.splice(0);
  }

  /** Kills what is left and removes the configuration files. */
  async dispose(): Promise<void> {
    await this.killAll();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private writeConfig(n: number, options: SpawnOptions): string {
    const sub = path.join(this.dir, String(n));
    fs.mkdirSync(sub);
    const file = writeWorkerConfig(this.config, sub);
    const content = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    content.log = { level: options.logLevel ?? 'warn' };
    content.worker = { ...this.config.worker, ...options.worker };
    fs.writeFileSync(file, JSON.stringify(content, null, 2));
    return file;
  }
}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
