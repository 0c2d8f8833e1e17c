import { performance } from 'node:perf_hooks';
import { LeaseLostError } from '../errors';

/**
 * The lease one attempt holds on its operation, as far as this process can tell without asking the database.
 *
 * An attempt claims its operation in its first commit (`claimed`). A claim or a renewal that succeeded set the lease
 * to the database's time of that statement plus `leaseMs`; that time came after this process sent the statement, so
 * the lease runs at least `leaseMs` from the moment it was sent, on this process's monotonic clock (never its wall
 * clock, which may be off). Until then no other worker can claim the operation. Writes still check the lease inside
 * their transaction; this is for the moment right before an upstream call, where a stalled worker must not call on
 * behalf of an operation another worker may have taken.
 */
export class HeldLease {
  /** `performance.now()` when the claim, or the last renewal, that succeeded was sent; null before the claim. */
  private heldSince: number | null = null;

  constructor(
    readonly operationId: string,
    /** This claim's name in the operation's `lease_owner`. */
    readonly owner: string,
    private readonly leaseMs: number,
  ) {}

  /** Whether the claim has been committed (before it, the attempt has only read). */
  get claimed(): boolean {
    return this.heldSince !== null;
  }

  /** The claim sent at `sentAt` (`performance.now()`) was committed. */
  claimedAt(sentAt: number): void {
    this.heldSince = sentAt;
  }

  /** A renewal sent at `sentAt` (`performance.now()`) succeeded. */
  renewed(sentAt: number): void {
    if (this.heldSince !== null) this.heldSince = Math.max(this.heldSince, sentAt);
  }

  /** Throws `LeaseLostError` unless the lease is certainly still this attempt's. */
  assertHeld(): void {
    if (this.heldSince !== null && performance.now() < this.heldSince + this.leaseMs) return;
    throw new LeaseLostError(`operation ${this.operationId}: lease not held (not claimed, or not renewed in time)`);
  }
}
