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

/** One job per attempt of an operation: the relay may add it many times, BullMQ keeps one. */
export function jobIdFor(operationId: string, attempts: number): string {
  return `${operationId}.${attempts}`;
}
