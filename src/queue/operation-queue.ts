import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

export interface OperationJob {
  operationId: string;
}

/** The queue carries only operation ids; the database holds everything that must not be lost or doubled. */
export function createOperationQueue(name: string, connection: Redis): Queue<OperationJob> {
  return new Queue<OperationJob>(name, {
    connection,
    defaultJobOptions: { removeOnComplete: true, removeOnFail: 1000, attempts: 1 },
  });
}

/**
 * One job per attempt of an operation: the relay may add it many times, BullMQ keeps one. A `generation` above 0
 * names a new job for an operation still unclaimed long after its last change (see `Relay.pass`).
 */
export function jobIdFor(operationId: string, attempts: number, generation = 0): string {
  return generation > 0 ? `${operationId}.${attempts}.r${generation}` : `${operationId}.${attempts}`;
}
