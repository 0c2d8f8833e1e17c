import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { findFreePort } from '../../../src/infra/redis-runtime';

/**
 * A redis-server that belongs to one test: its own port and data folder, killable with SIGKILL and restartable on
 * the same port (with its AOF, or wiped). Always `stop()` it in an `after`/`afterEach` hook; a process exit kills it
 * too, so a crashed test run leaves no server behind.
 */
export class PrivateRedis {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private readonly killOnExit = () => this.child?.kill('SIGKILL');

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly appendOnly: boolean,
  ) {}

  /** Reserves a free port and a data folder; starts the server unless `{ start: false }` (nothing listens yet). */
  static async create(options: { port?: number; appendOnly?: boolean; start?: boolean } = {}): Promise<PrivateRedis> {
    const port = options.port ?? (await findFreePort());
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plm-fault-redis-'));
    const redis = new PrivateRedis(port, dir, options.appendOnly ?? true);
    process.on('exit', redis.killOnExit);
    if (options.start ?? true) await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Spawns redis-server on the port and waits (up to `timeoutMs`) until this very process answers PING. */
  async start(timeoutMs = 10_000): Promise<void> {
    if (this.running) throw new Error(`redis-server ${this.pid} already runs on port ${this.port}`);
    const args = [
      '--port', String(this.port),
      '--bind', '127.0.0.1',
      '--dir', this.dir,
      '--save', '',
      '--appendonly', this.appendOnly ? 'yes' : 'no',
      '--appendfsync', 'everysec',
      '--logfile', path.join(this.dir, 'redis.log'),
      '--daemonize', 'no',
    ]; // prettier-ignore
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    this.child = child;
    this.exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    child.once('error', () => undefined);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`redis-server exited at start on port ${this.port}: ${this.logTail()}`);
      if ((await serverPid(this.url)) === child.pid) return;
      await sleep(50);
    }
    child.kill('SIGKILL');
    throw new Error(`redis-server did not answer on port ${this.port} within ${timeoutMs} ms: ${this.logTail()}`);
  }

  /** SIGKILL: no shutdown, no AOF rewrite; whatever was not yet fsynced is lost. Resolves once it is gone. */
  async kill(): Promise<void> {
    if (!this.child) return;
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Starts again on the same port: with the data of the last run (its AOF), or from nothing (`wipe`). */
  async restart(options: { wipe?: boolean } = {}): Promise<void> {
    await this.kill();
    if (options.wipe) {
      for (const entry of fs.readdirSync(this.dir)) {
        if (entry !== 'redis.log') fs.rmSync(path.join(this.dir, entry), { recursive: true, force: true });
      }
    }
    await this.start();
  }

  /** Kills the server and removes its folder. Safe to call more than once. */
  async stop(): Promise<void> {
    await this.kill();
    process.off('exit', this.killOnExit);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private logTail(): string {
    try {
      return fs.readFileSync(path.join(this.dir, 'redis.log'), 'utf8').trim().split('\n').slice(-3).join(' | ');
    } catch {
      return '(no log)';
    }
  }
}

/** The pid of the server answering at `url`, or undefined when none answers within 250 ms. */
async function serverPid(url: string): Promise<number | undefined> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 250,
    commandTimeout: 250,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const info = await client.info('server');
    const pid = /^process_id:(\d+)/m.exec(info)?.[1];
    return pid ? Number(pid) : undefined;
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
