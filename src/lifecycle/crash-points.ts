/**
 * Scripted crash points for the fault-injection tests: with `LICENSE_MODULE_CRASH_AT=<point>` in its environment
 * (never set in production), a worker process kills itself with SIGKILL the first time it reaches that point,
 * e.g. `after-call:order` (the upstream took the order, the database has not heard of it yet).
 *
 * Points: `before-call:<kind>`, `after-call:<kind>` (kind: order, prolong, change_ip, …) and
 * `after-commit:<event>` (the operation's outcome is committed, the queue job not yet completed).
 */
const crashAt = process.env.LICENSE_MODULE_CRASH_AT ?? null;

export function crashPoint(point: string): void {
  if (crashAt !== null && crashAt === point) {
    process.stderr.write(`crash point reached: ${point}\n`);
    process.kill(process.pid, 'SIGKILL');
  }
}
