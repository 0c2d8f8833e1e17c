import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Redis } from 'ioredis';

/** The two log levels the runtime uses; pino's logger fits, and so does a thin wrapper around `console`. */
export interface RuntimeLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface EnsureRedisOptions {
  /** A Redis URL from configuration (`REDIS_URL`). When set it is used as is: nothing is probed or started. */
  configuredUrl?: string;
  /** Folder for runtime data; a private server keeps its AOF and log under `<varDir>/redis/`. */
  varDir: string;
  logger: RuntimeLogger;
  /** Port for a private server. Default: a free port chosen by the operating system. */
  port?: number;
  /** The Redis that is used when it answers, before a private one is started. Default `redis://127.0.0.1:6379`. */
  probeUrl?: string;
  /** The server binary: a name looked up in `searchPath`, or a path. Default `redis-server`. */
  redisServerBinary?: string;
  /** Folders to look up a bare binary name in, `path.delimiter`-separated. Default `process.env.PATH`. */
  searchPath?: string;
  /** How long a private server may take to answer PING after it is spawned. Default 10 000 ms. */
  startTimeoutMs?: number;
}

/** The Redis the process should use. */
export interface RedisRuntime {
  url: string;
  /** True when this process started the server (and so must stop it). */
  private: boolean;
  /** Stops a private server (graceful SIGTERM, which flushes the AOF; SIGKILL after 5 s). No-op otherwise. */
  stop(): Promise<void>;
}

const DEFAULT_PROBE_URL = 'redis://127.0.0.1:6379';
const PROBE_TIMEOUT_MS = 500;
const STOP_GRACE_MS = 5_000;

/** True when a Redis at `url` answers PING within `timeoutMs`. Never throws; always closes its connection. */
export async function pingRedis(url: string, timeoutMs: number): Promise<boolean> {
  return (await withShortConnection(url, timeoutMs, (client) => client.ping())) === 'PONG';
}

/** The pid of the server answering at `url`, so that a private server is not confused with one already there. */
async function serverPid(url: string, timeoutMs: number): Promise<number | undefined> {
  const info = await withShortConnection(url, timeoutMs, (client) => client.info('server'));
  const pid = info && /^process_id:(\d+)/m.exec(info)?.[1];
  return pid ? Number(pid) : undefined;
}

/** Connects without retries, runs `work`, quits; undefined on any failure or after `timeoutMs`. */
async function withShortConnection<T>(
  url: string,
  timeoutMs: number,
  work: (client: Redis) => Promise<T>,
): Promise<T | undefined> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
  });
  try {
    const result = await Promise.race([client.connect().then(() => work(client)), deadline]);
    await Promise.race([client.quit(), deadline]).catch(() => client.disconnect());
    return result;
  } catch {
    client.disconnect();
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/** A TCP port on `host` that nothing listens on at the moment of asking. */
export async function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Finds the Redis this process should use: the configured URL; else the one at `probeUrl` if it answers; else a
 * private `redis-server` on 127.0.0.1 with AOF persistence under `<varDir>/redis/`, killed when the process exits.
 *
 * @throws Error naming the fix when no Redis answers and no `redis-server` binary can be found.
 */
export async function ensureRedis(options: EnsureRedisOptions): Promise<RedisRuntime> {
  const { configuredUrl, logger } = options;
  if (configuredUrl) {
    logger.info({ url: redactUrl(configuredUrl) }, 'using the configured Redis');
    return { url: configuredUrl, private: false, stop: async () => undefined };
  }
  const probeUrl = options.probeUrl ?? DEFAULT_PROBE_URL;
  if (await pingRedis(probeUrl, PROBE_TIMEOUT_MS)) {
    logger.info({ url: redactUrl(probeUrl) }, 'using the Redis that answers at the default address');
    return { url: probeUrl, private: false, stop: async () => undefined };
  }
  const binary = resolveBinary(options.redisServerBinary ?? 'redis-server', options.searchPath ?? process.env.PATH);
  if (!binary) {
    throw new Error(
      `No Redis answers at ${redactUrl(probeUrl)} and no redis-server binary was found on PATH. ` +
        'Install one (e.g. `apt-get install -y redis-server`) or set REDIS_URL to a running Redis.',
    );
  }
  return startPrivateRedis(binary, options);
}

async function startPrivateRedis(binary: string, options: EnsureRedisOptions): Promise<RedisRuntime> {
  const dataDir = path.join(path.resolve(options.varDir), 'redis');
  fs.mkdirSync(dataDir, { recursive: true });
  // A port picked by the OS can be taken before redis-server binds it: try a fresh one a few times.
  const attempts = options.port === undefined ? 3 : 1;
  let lastError: Error | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const port = options.port ?? (await findFreePort());
    try {
      return await spawnRedis(binary, port, dataDir, options);
    } catch (err) {
      lastError = err as Error;
      options.logger.warn({ port, attempt, err: lastError.message }, 'private redis-server did not start');
    }
  }
  throw lastError ?? new Error('private redis-server did not start');
}

async function spawnRedis(binary: string, port: number, dataDir: string, options: EnsureRedisOptions) {
  const logFile = path.join(dataDir, 'redis.log');
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dataDir,
    '--appendonly', 'yes',
    '--appendfsync', 'everysec',
    '--logfile', logFile,
    '--daemonize', 'no',
  ]; // prettier-ignore
  const child = spawn(binary, args, { stdio: 'ignore' });
  // The process may exit (and so never call stop()); a private server must not outlive it.
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  child.unref();
  const url = `redis://127.0.0.1:${port}`;
  let state: 'starting' | 'running' | 'stopping' = 'starting';
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      process.off('exit', killOnExit);
      if (state === 'running') options.logger.warn({ url, code, signal }, 'private redis-server exited unexpectedly');
      resolve();
    }),
  );
  try {
    await waitUntilAnswering(url, child, options.startTimeoutMs ?? 10_000);
  } catch (err) {
    child.kill('SIGKILL');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 1_000))]);
    throw new Error(`${(err as Error).message}; ${tailOf(logFile)}`);
  }
  state = 'running';
  options.logger.info({ url, pid: child.pid, dir: dataDir, binary }, 'started a private redis-server');
  return {
    url,
    private: true,
    stop: async () => {
      if (state !== 'running') return;
      state = 'stopping';
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
      options.logger.info({ url, pid: child.pid }, 'stopped the private redis-server');
    },
  } satisfies RedisRuntime;
}

async function waitUntilAnswering(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let spawnError: Error | undefined;
  child.on('error', (err) => (spawnError = err));
  while (Date.now() < deadline) {
    if (spawnError) throw new Error(`redis-server could not be run: ${spawnError.message}`);
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    const pid = await serverPid(url, 250);
    if (pid === child.pid) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`redis-server did not answer at ${url} within ${timeoutMs} ms`);
}

function resolveBinary(nameOrPath: string, searchPath: string | undefined): string | undefined {
  if (nameOrPath.includes(path.sep)) return isExecutable(nameOrPath) ? nameOrPath : undefined;
  for (const dir of (searchPath ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, nameOrPath);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function tailOf(logFile: string): string {
  try {
    const lines = fs.readFileSync(logFile, 'utf8').trim().split('\n');
    return `last log lines (${logFile}): ${lines.slice(-3).join(' | ')}`;
  } catch {
    return `no log at ${logFile}`;
  }
}

/** The URL without its password, for logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}
