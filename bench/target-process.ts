import type { TargetKind, TargetMessage } from './support-processes';
import { startBaselineApp, startBenchService } from './support-service';

/**
 * The child side of `forkTarget` (bench/support.ts): starts the bare baseline app or the service, reports where it
 * listens, answers memory questions (after a full GC), and stops cleanly when told.
 */
async function main(): Promise<void> {
  const target = JSON.parse(process.env.BENCH_TARGET ?? '{}') as TargetKind;
  const running =
    target.kind === 'baseline'
      ? await startBaselineApp()
      : await startBenchService(target.spec).then((s) => ({ url: s.url, close: () => s.stop() }));
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
