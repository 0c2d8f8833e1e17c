import type { Redis } from 'ioredis';

/** How long `/readyz` waits for Redis: it must answer "down" well within two seconds. */
const REDIS_PING_DEADLINE_MS = 1500;

/**
 * True when Redis answers before the deadline. The producer queues nothing offline, so while its first connection
 * is still being made (just after start-up) the ping waits for it, within the same deadline, rather than failing at
 * once; a connection that was refused or lost fails at once.
 */
export async function pingRedisClient(redis: Redis): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), REDIS_PING_DEADLINE_MS);
  });
  let onReady: (() => void) | undefined;
  try {
    if (redis.status === 'connecting' || redis.status === 'connect') {
      const ready = new Promise<void>((resolve) => {
        onReady = resolve;
        redis.once('ready', resolve);
      });
      await Promise.race([ready, deadline]);
    }
    return (await Promise.race([redis.ping(), deadline])) === 'PONG';
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
    if (onReady) redis.off('ready', onReady);
  }
}
