import type { Knex } from 'knex';
import { startMinimalIntake } from './minimal-intake';
import { countSql } from './sql-counter';
import type { TargetKind, TargetMessage } from './support-processes';
import { startBaselineApp, startBenchService } from './support-service';

/**
 * The child side of `forkTarget` (bench/support.ts): starts the bare baseline app or the service, reports where it
 * listens, answers memory, CPU and SQL-count questions (memory after a full GC), and stops cleanly when told.
 * Statements are counted by a `query` listener on the target's own knex instance (see `sql-counter.ts`).
 */
async function start(target: TargetKind): Promise<{ url: string | null; db?: Knex; close(): Promise<void> }> {
  if (target.kind === 'baseline') return startBaselineApp();
  if (target.kind === 'minimal-intake') return startMinimalIntake(target.spec);
  const service = await startBenchService(target.spec);
  return { url: service.url, db: service.db, close: () => service.stop() };
}

async function main(): Promise<void> {
  const target = JSON.parse(process.env.BENCH_TARGET ?? '{}') as TargetKind;
  const running = await start(target);
  const sql = running.db ? countSql(running.db) : null;
  const send = (message: TargetMessage) => process.send?.(message);
  process.on('message', (message: { type: string }) => {
    if (message.type === 'memory') {
      global.gc?.();
      global.gc?.();
      const { rss, heapUsed, external } = process.memoryUsage();
      send({ type: 'memory', rss, heapUsed, external });
    } else if (message.type === 'cpu') {
      const cpu = process.cpuUsage();
      send({ type: 'cpu', cpuMs: (cpu.user + cpu.system) / 1000 });
    } else if (message.type === 'sql') {
      send({ type: 'sql', counts: sql?.read() ?? null });
    } else if (message.type === 'stop') {
      void running.close().finally(() => {
        send({ type: 'stopped' });
        process.exit(0);
      });
    }
  });
  process.on('disconnect', () => void running.close().finally(() => process.exit(0)));
  send({ type: 'ready', url: running.url });
}

main().catch((error: unknown) => {
  console.error('bench target failed to start:', error);
  process.exit(1);
});
