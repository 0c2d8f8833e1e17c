import { performance } from 'node:perf_hooks';
import { LeaseLostError } from '../errors';

/**
 * The lease one attempt holds on its operation, as far as this process can tell without asking the database.
 *
 * A claim or a renewal that succeeded set the lease to the database's time of that statement plus `leaseMs`; that
 * time came after this process sent the statement, so the lease runs at least `leaseMs` from the moment it was sent,
 * on this process's monotonic clock (never its wall clock, which may be off). Until then no other worker can claim
 * the operation. Writes still check the lease inside their transaction; this is for the moment right before an
 * upstream call, where a stalled worker must not call on behalf of an operation another worker may have taken.
 */
export class HeldLease {
  private heldSince: number;

  constructor(
    readonly operationId: string,
    /** This claim's name in the operation's `lease_owner`. */
    readonly owner: string,
    private readonly leaseMs: number,
    /** `performance.now()` when the claim that won the lease was sent. */
    claimSentAt: number,
  ) {
    this.heldSince = claimSentAt;
  }

  /** A renewal sent at `sentAt` (`performance.now()`) succeeded. */
  renewed(sentAt: number): void {
    this.heldSince = Math.max(this.heldSince, sentAt);
  }

  /** Throws `LeaseLostError` unless the lease is certainly still this attempt's. */
  assertHeld(): void {
    if (performance.now() < this.heldSince + this.leaseMs) return;
    throw new LeaseLostError(`operation ${this.operationId}: lease may have passed (not renewed in time)`);
  }
}
