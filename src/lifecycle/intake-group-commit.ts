import type { Knex } from 'knex';
import { isDatabaseUnavailable } from '../db/database';
import type { HookEventStore } from '../db/hook-event-store';
import type { OperationRecord, OperationStore } from '../db/operation-store';
import type { ServiceStore } from '../db/service-store';
import type { HookEvent, ServiceFacts } from '../domain/lifecycle';

/** A hook that passed every check at the door and only waits for its rows to be written. */
export interface AcceptedHook {
  eventId: string;
  event: HookEvent;
  bodySha256: string;
  operationId: string;
  service: ServiceFacts;
}

/** What became of a hook: its new operation, committed, or `known` when its `eventId` was already recorded. */
export type GroupCommitOutcome = { operation: OperationRecord } | { known: true };

interface Waiting {
  hook: AcceptedHook;
  resolve(outcome: GroupCommitOutcome): void;
  reject(error: unknown): void;
}

/** Past this many hooks a group closes; the rest form the next one (bounds a statement's parameters). */
const MAX_GROUP = 64;

/** Thrown inside a group's transaction to roll it back: one of its hooks was a replay. */
class KnownEventInGroup extends Error {}

/**
 * Group commit at the door: the hooks that arrive while a group is being written form the next group, which is
 * written in one transaction of three statements (sequence numbers, operations, hook events) and one commit, however
 * many hooks it holds. Each hook's promise settles only after the commit that holds it, so a 202 still means "on disk".
 * An idle door waits for nothing: a lone hook starts its group at once (after the I/O already read, on `setImmediate`).
 *
 * A hook must not fail its neighbours: when a group fails for a reason of its own rows (a replayed `eventId`, a
 * unique violation from another process), it is rolled back and each of its hooks is written alone.
 */
export class IntakeGroupCommit {
  private waiting: Waiting[] = [];
  private draining = false;

  constructor(
    private readonly deps: {
      db: Knex;
      services: Pick<ServiceStore, 'takeSequences'>;
      operations: Pick<OperationStore, 'createForHooks'>;
      hookEvents: Pick<HookEventStore, 'insertNew'>;
      now: () => Date;
    },
  ) {}

  /** Resolves once the hook's rows are committed (or it proved a replay); rejects when they could not be. */
  write(hook: AcceptedHook): Promise<GroupCommitOutcome> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ hook, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.waiting.length > 0) await this.settle(this.waiting.splice(0, MAX_GROUP));
    } finally {
      this.draining = false;
    }
  }

  private async settle(group: Waiting[]): Promise<void> {
    try {
      const operations = await this.commit(group.map((entry) => entry.hook));
      group.forEach((entry, i) => entry.resolve({ operation: operations[i]! }));
    } catch (error) {
      if (group.length === 1) {
        if (error instanceof KnownEventInGroup) group[0]!.resolve({ known: true });
        else group[0]!.reject(error);
      } else if (isDatabaseUnavailable(error)) {
        group.forEach((entry) => entry.reject(error));
      } else {
        for (const entry of group) await this.settle([entry]);
      }
    }
  }

  /** Writes the group in one transaction; the operations come back in the group's order. */
  private commit(hooks: AcceptedHook[]): Promise<OperationRecord[]> {
    return this.deps.db.transaction(async (trx) => {
      const now = this.deps.now();
      const counts = new Map<string, number>();
      // Services in one order in every group: two processes' groups then lock their rows without a deadlock.
      for (const hook of [...hooks].sort((a, b) => (a.service.id < b.service.id ? -1 : 1)))
        counts.set(hook.service.id, (counts.get(hook.service.id) ?? 0) + 1);
      const last = await this.deps.services.takeSequences(counts, now, trx);
      // A service's numbers go to its hooks in the order they arrived.
      const next = new Map([...counts].map(([id, count]) => [id, last.get(id)! - count + 1]));
      const operations = await this.deps.operations.createForHooks(
        hooks.map((hook) => {
          const sequence = next.get(hook.service.id)!;
          next.set(hook.service.id, sequence + 1);
          return {
            id: hook.operationId,
            event: hook.event,
            serviceId: hook.service.id,
            sequence,
            payload: hook.service,
          };
        }),
        now,
        trx,
      );
      const receivedAt = now.toISOString();
      const recorded = await this.deps.hookEvents.insertNew(
        hooks.map(({ eventId, event, bodySha256, operationId }) => ({
          eventId,
          event,
          bodySha256,
          operationId,
          receivedAt,
        })),
        trx,
      );
      if (recorded.size < hooks.length) throw new KnownEventInGroup();
      return operations;
    });
  }
}
