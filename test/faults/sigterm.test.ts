import assert from 'node:assert/strict';
import type { Role } from '../../src/service';
import { paidUntilIn, startHarness, type Harness } from '../helpers/lifecycle';
import { checkMoneyRules } from './support/money-checker';
import { accept, newServiceFacts, operationRows, succeeded, waitFor } from './support/fault-helpers';
import { ServiceProcesses } from './support/service-processes';

/**
 * SIGTERM to a process that runs workers while operations are in the middle of upstream calls (the sandbox answers
 * every call after `LATENCY_MS`): it stops taking jobs, lets running operations finish within
 * `worker.shutdownGraceMs`, and exits on its own with code 0. Whatever it did not finish a second worker finishes
 * (after the leases pass): every accepted hook's operation succeeds, one order each, and the money rules hold.
 *
 * Two grace periods: long enough for the running operations to finish (they all end on the first worker), and too
 * short (the rest is left to the leases, and to the reconciliation of calls whose answer never came back).
 */
const OPENS = 8;
/** Closing Redis and the database and leaving Node take well under this. */
const EXIT_SLACK_MS = 3000;

interface Case {
  role: Role;
  latencyMs: number;
  graceMs: number;
  /** How far the services are paid: past a year, each open also renews its yearly license (more calls). */
  paidDays?: number;
  /** Whether operations are still running when the grace period ends. */
  graceRunsOut: boolean;
  what: string;
}

const cases: Case[] = [
  { role: 'worker', latencyMs: 300, graceMs: 5000, graceRunsOut: false, what: 'the grace period is long enough' },
  {
    role: 'worker',
    latencyMs: 1000,
    graceMs: 300,
    paidDays: 800,
    graceRunsOut: true,
    what: 'the grace period runs out mid-call',
  },
  { role: 'all', latencyMs: 300, graceMs: 5000, graceRunsOut: false, what: 'the grace period is long enough' },
  {
    role: 'all',
    latencyMs: 1000,
    graceMs: 300,
    paidDays: 800,
    graceRunsOut: true,
    what: 'the grace period runs out mid-call',
  },
];

describe('faults: SIGTERM to a worker with operations in flight', function () {
  this.timeout(120_000);
  let h: Harness;
  let processes: ServiceProcesses;

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') console.error(processes?.outputs());
    await processes?.dispose();
    await h?.close();
  });

  for (const c of cases) {
    it(`--role ${c.role}, sandbox latency ${c.latencyMs} ms, grace ${c.graceMs} ms (${c.what}): exits 0 in time, nothing lost`, async () => {
      h = await startHarness({ role: 'api', sandbox: { latencyMs: c.latencyMs } });
      processes = new ServiceProcesses(h.service.config);
      const first = processes.spawn({
        role: c.role,
        logLevel: 'info',
        worker: { shutdownGraceMs: c.graceMs },
        label: `first (${c.role})`,
      });
      await first.ready();
      const ops = await Promise.all(
        Array.from({ length: OPENS }, () =>
          accept(h, 'open', newServiceFacts(`term-${c.role}`, { paidUntil: paidUntilIn(c.paidDays ?? 30) })),
        ),
      );
      // Mid-call: several operations running, and the upstream has started answering them.
      await waitFor('several operations to be running with upstream calls under way', async () => {
        const running = (await operationRows(h, ops)).filter((r) => r.status === 'running').length;
        return running >= 3 && h.sandbox.calls().length >= 3;
      });
      const runningAtTerm = (await operationRows(h, ops)).filter((r) => r.status === 'running').map((r) => r.id);
      const inFlight = runningAtTerm.length;

      const termAt = Date.now();
      first.child.kill('SIGTERM');
      const exit = await first.waitForExit(c.graceMs + EXIT_SLACK_MS + 10_000);
      const exitMs = Date.now() - termAt;
      assert.deepEqual(exit, { code: 0, signal: null }, `exit after SIGTERM`);
      assert.ok(
        exitMs <= c.graceMs + EXIT_SLACK_MS,
        `exited ${exitMs} ms after SIGTERM (grace ${c.graceMs} ms + ${EXIT_SLACK_MS} ms)`,
      );
      assert.match(first.output(), /"signal":"SIGTERM"[^\n]*"msg":"stopping"/);
      const atExit = await operationRows(h, ops);
      const finishedByFirst = atExit.filter((r) => r.status === 'succeeded').length;
      const graceRanOut = /still running at the end of the grace period/.test(first.output());
      if (!c.graceRunsOut) {
        assert.ok(!graceRanOut, 'the grace period was long enough');
        const unfinished = atExit.filter((r) => runningAtTerm.includes(r.id) && r.status !== 'succeeded');
        assert.deepEqual(unfinished, [], 'the operations running at SIGTERM finished before the exit');
      } else {
        assert.ok(graceRanOut, 'the grace period ran out with operations running');
      }

      h.sandbox.setLatency(20);

      const second = processes.spawn({ logLevel: 'info', label: 'second' });
      await second.ready();
      for (const id of ops) await succeeded(h, id);
      await second.stop(15_000);
      assert.deepEqual(await second.exited, { code: 0, signal: null }, 'the second worker stops cleanly too');
      for (const id of ops) assert.equal(h.ordersByOperation().get(id), 1, `operation ${id} ordered once`);
      const summary = await checkMoneyRules(h);
      assert.equal(summary.licenses.bound, OPENS, `one bound license per open: ${JSON.stringify(summary)}`);
      console.log(
        `      [${c.role}] ${inFlight} running at SIGTERM; exit after ${exitMs} ms; ` +
          `${finishedByFirst}/${OPENS} finished by the first worker`,
      );
    });
  }
});
