import type { Knex } from 'knex';
import type { UpstreamActionRecord, UpstreamActionStore } from '../db/upstream-action-store';

type Known = Map<string, UpstreamActionRecord>;

/**
 * The upstream actions of one operation as the attempt that holds its lease knows them, in front of the store.
 *
 * Only the lease holder writes an operation's actions (every checkpoint write checks the lease in its transaction),
 * so an attempt reads them from the database once, and on a first attempt not at all: before the first claim none
 * can exist. An attempt may read them before its claim (which goes with its first commit): the claim compares the
 * operation's lease version, so it fails if a holder wrote anything since the attempt read the operation. After that
 * it keeps its copy in step with its own writes, each applied once its transaction committed (dropped, and read
 * again, if it rolled back); a read waits for the writes still in flight. Everything else (other operations'
 * actions, reads inside a transaction, counts) goes to the store.
 */
export class AttemptActions implements UpstreamActionStore {
  /** The operation's actions by reference; null when they must be read from the database again. */
  private known: Known | null;
  /** Writes whose transaction has not ended yet. */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly store: UpstreamActionStore,
    private readonly operationId: string,
    /** The attempt's number (1 for the first claim of the operation). */
    attempt: number,
  ) {
    this.known = attempt <= 1 ? new Map() : null;
  }

  async getByReference(reference: string, trx?: Knex): Promise<UpstreamActionRecord | null> {
    if (trx || !reference.startsWith(`${this.operationId}.`)) return this.store.getByReference(reference, trx);
    return (await this.actions()).find((action) => action.reference === reference) ?? null;
  }

  async listByPrefix(operationId: string, prefix: string): Promise<UpstreamActionRecord[]> {
    if (operationId !== this.operationId) return this.store.listByPrefix(operationId, prefix);
    return (await this.actions()).filter((action) => action.reference.startsWith(prefix));
  }

  async listByOperation(operationId: string): Promise<UpstreamActionRecord[]> {
    if (operationId !== this.operationId) return this.store.listByOperation(operationId);
    return this.actions();
  }

  countOrders(filter?: Parameters<UpstreamActionStore['countOrders']>[0]): Promise<number> {
    return this.store.countOrders(filter);
  }

  async insertIntended(action: Parameters<UpstreamActionStore['insertIntended']>[0], now: Date, trx: Knex) {
    await this.store.insertIntended(action, now, trx);
    const at = now.toISOString();
    // Copied now: what is applied at the commit is what was written, whatever the caller does with `action` since.
    const written = copy({ ...action, state: 'intended' as const, response: null, createdAt: at, updatedAt: at });
    this.afterCommit(trx, action.operationId, (known) => known.set(action.reference, written));
  }

  async reintend(reference: string, now: Date, trx: Knex): Promise<void> {
    await this.store.reintend(reference, now, trx);
    this.update(trx, reference, { state: 'intended', response: null, updatedAt: now.toISOString() });
  }

  async settle(
    reference: string,
    state: 'done' | 'failed',
    response: Record<string, unknown> | null,
    now: Date,
    trx: Knex,
  ): Promise<void> {
    await this.store.settle(reference, state, response, now, trx);
    this.update(trx, reference, { state, response: response && copy(response), updatedAt: now.toISOString() });
  }

  private update(trx: Knex, reference: string, change: Partial<UpstreamActionRecord>) {
    const operationId = reference.startsWith(`${this.operationId}.`) ? this.operationId : null;
    this.afterCommit(trx, operationId, (known) => {
      const action = known.get(reference);
      // Not in the copy (cannot happen while the lease is held): read everything again rather than guess.
      if (action) known.set(reference, { ...action, ...change });
      else this.known = null;
    });
  }

  /** Applies a write of this operation to the copy once its transaction has committed; forgets the copy otherwise. */
  private afterCommit(trx: Knex, operationId: string | null, apply: (known: Known) => void): void {
    if (operationId !== this.operationId) return;
    const ended = 'executionPromise' in trx ? (trx as Knex.Transaction).executionPromise : undefined;
    if (!ended) {
      this.known = null;
      return;
    }
    const applied: Promise<void> = ended
      .then(
        () => {
          if (this.known) apply(this.known);
        },
        () => {
          this.known = null;
        },
      )
      .finally(() => this.inFlight.delete(applied));
    this.inFlight.add(applied);
  }

  /** The operation's actions, oldest first (as the store lists them), once the writes in flight have ended. */
  private async actions(): Promise<UpstreamActionRecord[]> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
    if (!this.known) {
      const read = await this.store.listByOperation(this.operationId);
      this.known = new Map(read.map((action) => [action.reference, action]));
    }
    return [...this.known.values()]
      .sort((a, b) => compare(a.createdAt, b.createdAt) || compare(a.reference, b.reference))
      .map(copy);
  }
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** A copy as the database would give it back: a caller may change what it got without changing the copy here. */
function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
