import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import { ensureRedis, type RedisRuntime, type RuntimeLogger } from '../../src/infra/redis-runtime';

let runtime: Promise<RedisRuntime> | undefined;
let varDir: string | undefined;

const consoleLogger: RuntimeLogger = {
  info: (obj, msg) => console.log(`[test redis] ${msg ?? ''} ${JSON.stringify(obj)}`),
  warn: (obj, msg) => console.warn(`[test redis] ${msg ?? ''} ${JSON.stringify(obj)}`),
};
const silentLogger: RuntimeLogger = { info: () => undefined, warn: () => undefined };

/**
 * The Redis URL the tests use: `TEST_REDIS_URL` when set (the runner sets it), else the Redis at 127.0.0.1:6379 if
 * it answers, else a private `redis-server` on a free port. Resolved once per process.
 */
export async function testRedisUrl(): Promise<string> {
  runtime ??= startTestRedis();
  return (await runtime).url;
}

async function startTestRedis(): Promise<RedisRuntime> {
  const configuredUrl = process.env.TEST_REDIS_URL || undefined;
  if (configuredUrl) return ensureRedis({ configuredUrl, varDir: os.tmpdir(), logger: silentLogger });
  varDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plm-test-redis-'));
  const started = await ensureRedis({ varDir, logger: consoleLogger }).catch((err: unknown) => {
    removeVarDir();
    throw err;
  });
  if (!started.private) removeVarDir();
  return started;
}

function removeVarDir(): void {
  if (varDir) fs.rmSync(varDir, { recursive: true, force: true });
  varDir = undefined;
}

/** Stops the private Redis if this process started one (root hook `afterAll`). Safe to call more than once. */
export async function stopTestRedis(): Promise<void> {
  const started = runtime;
  runtime = undefined;
  if (started) await (await started.catch(() => undefined))?.stop();
  removeVarDir();
}

/**
 * A name no other test uses, e.g. `t_queue_3f9a1c2b7d`: for a BullMQ queue name or key prefix, so tests never see
 * each other's keys. Pair it with {@link deleteRedisKeysWithPrefix} in `afterEach`.
 */
export function uniqueRedisName(label = 'test'): string {
  return `t_${label}_${randomBytes(5).toString('hex')}`;
}

/**
 * An ioredis client on the test Redis. BullMQ needs `maxRetriesPerRequest: null` (the default here); the caller
 * must `quit()` it, or mocha hangs after its summary.
 */
export async function openTestRedis(options: RedisOptions = {}): Promise<Redis> {
  return new Redis(await testRedisUrl(), { maxRetriesPerRequest: null, ...options });
}

/**
 * Deletes every key that starts with `prefix` (glob characters in it are matched literally); returns how many.
 * For a BullMQ queue with the default prefix use `bull:<queueName>:`; with a unique prefix, the prefix itself.
 */
export async function deleteRedisKeysWithPrefix(prefix: string): Promise<number> {
  if (!prefix) throw new Error('refusing to delete every key: prefix is empty');
  const client = new Redis(await testRedisUrl(), { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await client.connect();
    let deleted = 0;
    const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      if (keys.length > 0) deleted += await client.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
    return deleted;
  } finally {
    await client.quit().catch(() => client.disconnect());
  }
}
