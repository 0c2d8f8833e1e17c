/**
 * Scripted faults for the fault-injection tests, off unless their variables are set, and inert under
 * `NODE_ENV=production` whatever is set (a stray variable must never kill or freeze a production worker):
 * - `LICENSE_MODULE_CRASH_AT=<point>`: the worker kills itself with SIGKILL the first time it reaches the point,
 *   e.g. `after-call:order` (the upstream took the order, the database has not heard of it yet);
 * - `LICENSE_MODULE_STALL_AT=<point>:<ms>`: the worker blocks its event loop for `ms` the first time it reaches the
 *   point (no timers, no heartbeats, no BullMQ lock renewal), as a long GC pause or a starved CPU would.
 *
 * Points: `before-call:<kind>`, `after-call:<kind>` (kind: order, prolong, change_ip, …) and
 * `after-commit:<event>` (the operation's outcome is committed, the queue job not yet completed).
 */
const crashAt = process.env.LICENSE_MODULE_CRASH_AT ?? null;
const stall = parseStall(process.env.LICENSE_MODULE_STALL_AT);
let stalled = false;

export function crashPoint(point: string): void {
  // Read at each point, not at load: the entry point sets NODE_ENV from the configuration after this module loaded.
  if (process.env.NODE_ENV === 'production') return;
  if (crashAt !== null && crashAt === point) {
    process.stderr.write(`crash point reached: ${point}\n`);
    process.kill(process.pid, 'SIGKILL');
  }
  if (stall && !stalled && stall.point === point) {
    stalled = true;
    process.stderr.write(`stall point reached: ${point}, blocking ${stall.ms} ms\n`);
    const until = Date.now() + stall.ms;
    while (Date.now() < until) {
      // Deliberately synchronous: nothing else in this process may run.
    }
  }
}

function parseStall(value: string | undefined): { point: string; ms: number } | null {
  const match = value ? /^(.+):(\d+)$/.exec(value) : null;
  return match ? { point: match[1]!, ms: Number(match[2]) } : null;
}
