import type { Redis } from 'ioredis';

interface WatchdogLogger {
  warn(obj: object, msg?: string): void;
}

/**
 * A connection whose peer vanished without a reset (a host gone, a black-holed route) stays `ready` while every
 * command hangs; ioredis never notices. This pings a ready connection now and then and, after a few pings in a row
 * go unanswered, drops it so that ioredis reconnects.
 */
export function watchRedisConnection(
  client: Redis,
  logger: WatchdogLogger,
  options: { intervalMs?: number; pingTimeoutMs?: number; failuresBeforeReset?: number; name: string },
): () => void {
  const { intervalMs = 2000, pingTimeoutMs = 1000, failuresBeforeReset = 3 } = options;
  let failures = 0;
  let checking = false;
  const timer = setInterval(async () => {
    if (checking || client.status !== 'ready') return;
    checking = true;
    try {
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('no answer')), pingTimeoutMs).unref(),
      );
      await Promise.race([client.ping(), timeout]);
      failures = 0;
    } catch {
      failures++;
      if (failures >= failuresBeforeReset) {
        logger.warn(
          { connection: options.name, failures },
          'Redis stopped answering on a live connection; reconnecting',
        );
        failures = 0;
        client.disconnect(true);
      }
    } finally {
      checking = false;
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
