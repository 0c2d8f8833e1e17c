import assert from 'node:assert/strict';
import { paidUntilIn, startHarness, type Harness } from '../helpers/lifecycle';
import { checkMoneyRules } from './support/money-checker';
import {
  accept,
  faultIterations,
  newServiceFacts,
  operationRows,
  succeeded,
  succeededOrDiagnose,
  uniqueIp,
  type OperationRow,
  waitFor,
} from './support/fault-helpers';
import { ServiceProcesses, type ServiceProcess } from './support/service-processes';

/**
 * A worker PROCESS SIGKILLed at scripted points (`LICENSE_MODULE_CRASH_AT`, src/lifecycle/crash-points.ts), again
 * and again. Each iteration, on new services: a worker that crashes at the point runs the scenario's setup hooks
 * and its trigger hook, alongside two bystander opens of another price list (so they never touch the pool); the
 * bystanders die with the worker wherever they are: mid-call, or fetched from the queue and not yet claimed, and the
 * first operation to reach the point (possibly a bystander, at the order points) crashes it. Then a clean
 * worker takes over (once the dead worker's 3 s leases pass), every operation must settle `succeeded`, an operation
 * settled before the crash must not run again, and the money checker runs (I1, I2, I3 and more:
 * support/money-checker.ts) before the scenario's own checks, and once more at the end.
 *
 * The test process runs the sandbox and an API-only service; one harness per crash point, shared by its iterations.
 * `FAULT_ITERATIONS` (default 5) sets how many iterations each point gets.
 */
const ITERATIONS = faultIterations();
const BYSTANDERS = 2;

interface Iteration {
  h: Harness;
  crashing: ServiceProcess;
  /** Every operation the iteration started; each must end `succeeded`. */
  ops: string[];
  /** Scenario facts, for `verify`. */
  facts: Record<string, unknown>;
  /** The operations' rows right after the crash. */
  atCrash: OperationRow[];
  /** How many sandbox calls there were before the trigger. */
  callsBefore: number;
}

interface CrashScenario {
  point: string;
  what: string;
  /** Hooks run on the crashing worker before the trigger; their operations must succeed there. */
  setup?: (run: Iteration) => Promise<void>;
  /** The hook that reaches the crash point. */
  trigger: (run: Iteration) => Promise<string>;
  /** Checks after every operation settled and the money checker passed. */
  verify?: (run: Iteration, trigger: string) => Promise<void>;
}

const scenarios: CrashScenario[] = [
  {
    point: 'before-call:order',
    what: 'the order checkpoint is committed, no call made: ordered once, on the retry',
    trigger: ({ h, facts }) => accept(h, 'open', facts),
    verify: async ({ atCrash }) => {
      assert.ok(
        atCrash.some((r) => r.status === 'running'),
        `an operation was killed mid-way: ${JSON.stringify(atCrash)}`,
      );
    },
  },
  {
    point: 'after-call:order',
    what: 'the upstream took and charged the order, the database never heard: found upstream, not repeated',
    trigger: ({ h, facts }) => accept(h, 'open', facts),
    verify: async ({ h, atCrash, callsBefore }) => {
      assert.ok(
        atCrash.some((r) => r.status === 'running'),
        `an operation was killed mid-way: ${JSON.stringify(atCrash)}`,
      );
      const lookups = h.sandbox
        .calls()
        .slice(callsBefore)
        .filter((c) => c.func === 'soft');
      assert.ok(lookups.length >= 1, 'the order whose answer was lost was looked up in the license list');
    },
  },
  {
    point: 'after-call:prolong',
    what: 'the renewal was made and charged, not recorded: found, not paid twice',
    setup: async ({ h, facts }) => void (await succeeded(h, await accept(h, 'open', facts))),
    trigger: ({ h, facts }) => accept(h, 'prolong', { id: facts.id, paidUntil: paidUntilIn(400) }),
    verify: async ({ h, facts }, trigger) => {
      const license = await boundLicense(h, facts.id as string);
      const renewals = h.sandbox
        .calls()
        .filter((c) => c.func === 'service.prolong' && c.performed && c.params.elid === license.upstream_id);
      assert.equal(renewals.length, 1, `license ${license.upstream_id} renewed once for operation ${trigger}`);
      const remote = h.sandbox.licenses().find((l) => l.id === license.upstream_id)!;
      assert.ok(
        new Date(`${remote.expiredate}T23:59:59Z`) >= new Date(paidUntilIn(399)),
        `renewed to cover the service (paid until ${remote.expiredate})`,
      );
    },
  },
  {
    point: 'after-call:change_ip',
    what: 'setparam: the upstream applied the new IP, the database never heard: looked up, not changed again',
    setup: async (run) => {
      await succeeded(run.h, await accept(run.h, 'open', run.facts));
      run.facts.newIp = uniqueIp();
    },
    trigger: ({ h, facts }) => accept(h, 'setparam', { id: facts.id, ip: facts.newIp }),
    verify: async ({ h, facts }) => {
      const license = await boundLicense(h, facts.id as string);
      const changes = h.sandbox
        .calls()
        .filter((c) => c.func === 'soft.edit' && c.performed && c.params.elid === license.upstream_id && c.params.ip);
      assert.equal(changes.length, 1, `one IP change upstream for license ${license.upstream_id}`);
      const remote = h.sandbox.licenses().find((l) => l.id === license.upstream_id)!;
      assert.equal(remote.ip, facts.newIp, 'the upstream carries the new IP');
      assert.equal(license.ip, facts.newIp, 'the local license carries the new IP');
    },
  },
  {
    point: 'after-call:regenerate_key',
    what: 'pool reuse: the new key was made, the database never heard: the retry finishes the reuse, orders nothing',
    setup: async (run) => {
      const opened = await succeeded(run.h, await accept(run.h, 'open', run.facts));
      await succeeded(run.h, await accept(run.h, 'close', { id: run.facts.id }));
      run.facts.pooled = opened.result.upstreamId;
      run.facts.pooledKey = run.h.sandbox.licenses().find((l) => l.id === opened.result.upstreamId)!.lickey;
      run.facts.next = newServiceFacts('kill-reuse-next');
    },
    trigger: ({ h, facts }) => accept(h, 'open', facts.next as Record<string, unknown>),
    verify: async ({ h, facts }, trigger) => {
      const next = facts.next as Record<string, unknown>;
      const op = await succeeded(h, trigger);
      const upstreamId = facts.pooled as string;
      assert.equal(h.ordersByOperation().get(trigger), undefined, 'nothing ordered: the pooled license was reused');
      assert.equal(op.result.upstreamId, upstreamId, 'the pooled license went to the next service');
      const keys = h.sandbox
        .calls()
        .filter(
          (c) => c.func === 'soft.edit' && c.performed && c.params.elid === upstreamId && c.params.clicked_button,
        );
      assert.equal(keys.length, 1, `the key of ${upstreamId} was regenerated once`);
      const remote = h.sandbox.licenses().find((l) => l.id === upstreamId)!;
      assert.notEqual(remote.lickey, facts.pooledKey, 'the previous holder’s key no longer works');
      const { body } = await h.service.request('GET', `/v1/services/${String(next.id)}`);
      assert.equal(body.license?.activationKey, remote.lickey, 'the service has the new key');
      assert.equal(remote.ip, next.ip, 'the upstream carries the new IP');
      assert.equal(remote.status, 2, 'active upstream');
      assert.equal(op.result.source, 'pool');
    },
  },
  {
    point: 'after-commit:open',
    what: 'the outcome was committed, the queue job not completed: nothing is done again, the service is not stuck',
    trigger: ({ h, facts }) => accept(h, 'open', facts),
    verify: async ({ h, atCrash, facts }) => {
      assert.ok(
        atCrash.some((r) => r.status === 'succeeded'),
        `an operation committed its outcome before the crash: ${JSON.stringify(atCrash)}`,
      );
      // The service is not stuck behind the job the dead worker never completed.
      await succeeded(h, await accept(h, 'suspend', { id: facts.id }));
    },
  },
];

async function boundLicense(h: Harness, serviceId: string) {
  const row = (await h.service.database.db('licenses').where({ service_id: serviceId }).first()) as
    { upstream_id: string; state: string; ip: string } | undefined;
  assert.equal(row?.state, 'bound', `service ${serviceId} has a bound license`);
  return row!;
}

/**
 * An earlier iteration that failed may have left an operation to BullMQ's stalled-job check (60 s and more): a clean
 * worker finishes it here, so that one failure does not fail the iterations after it.
 */
async function settleEarlierIterations(h: Harness, processes: ServiceProcesses): Promise<void> {
  const unsettled = async () => (await operationRows(h)).filter((r) => r.status === 'queued' || r.status === 'running');
  if ((await unsettled()).length === 0) return;
  const recovery = processes.spawn({ label: 'recovery' });
  await waitFor(
    'the operations of earlier iterations to settle',
    async () => (await unsettled()).length === 0,
    150_000,
    500,
  );
  await recovery.stop();
}

describe('faults: a worker process SIGKILLed at scripted points, then replaced', function () {
  this.timeout(300_000);

  for (const scenario of scenarios) {
    describe(`${scenario.point}: ${scenario.what}`, () => {
      let h: Harness;
      let processes: ServiceProcesses;

      before(async () => {
        h = await startHarness({ role: 'api' });
        processes = new ServiceProcesses(h.service.config);
      });

      afterEach(async function () {
        if (this.currentTest?.state === 'failed') console.error(processes.outputs());
        await processes.killAll();
        processes.forget();
      });

      after(async () => {
        await processes?.dispose();
        await h?.close();
      });

      for (let i = 1; i <= ITERATIONS; i++) {
        it(`iteration ${i} of ${ITERATIONS}`, async () => {
          await settleEarlierIterations(h, processes);
          const label = `kill-${scenario.point.replace(/[^a-z]+/g, '-')}`;
          const crashing = processes.spawn({ crashAt: scenario.point, label: `crashing@${scenario.point}` });
          const run: Iteration = { h, crashing, ops: [], facts: newServiceFacts(label), atCrash: [], callsBefore: 0 };
          const track = async (operation: Promise<string>) => {
            const id = await operation;
            run.ops.push(id);
            return id;
          };
          // Setup operations are not tracked here: the checker reads every operation from the database.
          await scenario.setup?.(run);
          run.callsBefore = h.sandbox.calls().length;
          const [trigger] = await Promise.all([
            track(scenario.trigger(run)),
            ...Array.from({ length: BYSTANDERS }, () =>
              track(accept(h, 'open', newServiceFacts(`${label}-by`, { controlPanel: 'isp-business' }))),
            ),
          ]);

          const exit = await crashing.waitForExit(45_000);
          assert.equal(exit.signal, 'SIGKILL', `the crashing worker exited with ${JSON.stringify(exit)}`);
          assert.match(crashing.output(), new RegExp(`crash point reached: ${scenario.point}`));
          run.atCrash = await operationRows(h, run.ops);

          const clean = processes.spawn({ label: 'clean' });
          for (const id of run.ops) await succeededOrDiagnose(h, id);
          const final = new Map((await operationRows(h, run.ops)).map((r) => [r.id, r]));
          for (const before of run.atCrash) {
            const after = final.get(before.id)!;
            if (before.status === 'succeeded')
              assert.equal(after.attempts, before.attempts, `settled operation ${before.id} was not run again`);
            if (before.status === 'running')
              assert.ok(after.attempts > before.attempts, `killed operation ${before.id} was claimed again`);
          }
          // The money rules first (their failures say the most), then what the scenario itself promises.
          await checkMoneyRules(h);
          await scenario.verify?.(run, trigger!);
          await waitFor('every operation of the harness to settle', async () =>
            (await operationRows(h)).every((r) => r.status === 'succeeded'),
          );
          await clean.stop();
          await checkMoneyRules(h);
        });
      }
    });
  }
});
