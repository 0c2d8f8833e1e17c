import assert from 'node:assert/strict';
import { LeaseLostError } from '../../src/errors';
import { Checkpointer } from '../../src/lifecycle/checkpointer';
import { HeldLease } from '../../src/lifecycle/held-lease';
import type { LifecycleDeps } from '../../src/lifecycle/lifecycle-deps';
import { lifecycleDepsFor } from '../helpers/lifecycle-deps';
import { openFacts, startHarness, type Harness } from '../helpers/lifecycle';

/**
 * Leases are taken and judged on the database's clock (issue 8, item 4): a worker host whose clock (`deps.now`)
 * runs 60 s ahead keeps its own lease for as long as it is valid, and cannot take a live lease from another worker.
 */
describe('operation leases on the database clock', function () {
  this.timeout(30_000);
  const LEASE_MS = 3000;
  let h: Harness;
  let onTime: LifecycleDeps;
  let ahead: LifecycleDeps;

  beforeEach(async () => {
    h = await startHarness({ role: 'api' });
    onTime = lifecycleDepsFor(h.service);
    ahead = lifecycleDepsFor(h.service, () => new Date(Date.now() + 60_000));
  });
  afterEach(async () => {
    await h.close();
  });

  const queuedOperation = async (serviceId: string) => {
    const answer = await h.hook('open', openFacts(serviceId));
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    return answer.body.operationId as string;
  };
  const claim = (deps: LifecycleDeps, id: string, owner: string) =>
    deps.operations.claim(id, owner, LEASE_MS, deps.now());
  /** A lease claimed (by `claim` above) and committed, as an attempt holds it after its first commit. */
  const claimedLease = (id: string, owner: string, sentAt = performance.now()) => {
    const lease = new HeldLease(id, owner, LEASE_MS);
    lease.claimedAt(sentAt);
    return lease;
  };
  /** A lease-checked write, as every checkpoint of a worker makes one after its first commit. */
  const write = (deps: LifecycleDeps, id: string, owner: string) =>
    new Checkpointer(deps, claimedLease(id, owner), async () => false).write(async () => 'written');
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('a worker whose clock runs 60 s ahead cannot take a live lease from another worker', async () => {
    const id = await queuedOperation('lease-a');
    assert.ok(await claim(onTime, id, 'on-time'));
    assert.equal(await claim(ahead, id, 'ahead'), null, 'the lease is live');
    assert.equal(await write(onTime, id, 'on-time'), 'written');
    // Once the lease has passed on the database's clock, another worker may take the operation over.
    await sleep(LEASE_MS + 300);
    assert.ok(await claim(ahead, id, 'ahead'), 'a passed lease is taken over');
    await assert.rejects(write(onTime, id, 'on-time'), LeaseLostError);
  });

  it('a worker whose clock runs 60 s ahead holds its own lease, renews it, and loses it only when it passes', async () => {
    const id = await queuedOperation('lease-b');
    const claimed = await claim(ahead, id, 'ahead');
    assert.ok(claimed);
    const leaseMs = claimed.leaseUntil!.getTime() - Date.now();
    assert.ok(leaseMs > 0 && leaseMs <= LEASE_MS + 500, `the lease runs ${LEASE_MS} ms on the database's clock`);
    assert.equal(await write(ahead, id, 'ahead'), 'written');
    assert.equal(await claim(onTime, id, 'on-time'), null);
    await sleep(LEASE_MS / 2);
    assert.equal(await ahead.operations.renewLease(id, 'ahead', LEASE_MS), true);
    await sleep(LEASE_MS / 2 + 500);
    assert.equal(await write(ahead, id, 'ahead'), 'written', 'renewed: still held');
    assert.equal(await claim(onTime, id, 'on-time'), null, 'renewed: still live');
    await sleep(LEASE_MS + 300);
    await assert.rejects(write(ahead, id, 'ahead'), LeaseLostError);
  });

  it('the check before an upstream call (no query) never says "held" once another worker could claim', async () => {
    const id = await queuedOperation('lease-c');
    const sentAt = performance.now();
    assert.ok(await claim(ahead, id, 'ahead'));
    const lease = claimedLease(id, 'ahead', sentAt);
    lease.assertHeld();
    await sleep(LEASE_MS / 2);
    const renewalSentAt = performance.now();
    assert.equal(await ahead.operations.renewLease(id, 'ahead', LEASE_MS), true);
    lease.renewed(renewalSentAt);
    await sleep(LEASE_MS / 2 + 500);
    lease.assertHeld(); // renewed: held past the claim's lease
    assert.equal(await claim(onTime, id, 'on-time'), null, 'and the database agrees');
    // Not renewed again: whenever the database lets another worker claim, the check already refuses.
    let taken = null;
    const giveUpAt = Date.now() + 3 * LEASE_MS;
    while (!taken) {
      assert.ok(Date.now() < giveUpAt, 'the lease passes on the database too');
      await sleep(20);
      taken = await claim(onTime, id, 'on-time');
    }
    assert.throws(() => lease.assertHeld(), LeaseLostError, 'held no longer once another worker claimed');
  });
});
