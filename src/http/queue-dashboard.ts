import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { Queue } from 'bullmq';
import type { RequestHandler } from 'express';
import type { Redis } from 'ioredis';
import { ForbiddenError } from '../errors';
import { alertSweepQueueName } from '../queue/alert-sweep-schedule';
import { maintenanceQueueName } from '../queue/maintenance';
import { reconcileQueueName } from '../queue/reconcile-schedule';
import { actorOf, requireCaller, type CredentialSource } from './guards';

/** Where the queue dashboard is served (Bull Board: its page, its API under `api/`, its assets under `static/`). */
export const QUEUE_DASHBOARD_PATH = '/admin/queues';

/**
 * The board's page, scripts, styles and images all come from the package, served here; its page also links a web
 * font from Google, which this policy keeps the browser from fetching (the board falls back to a local font).
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "frame-ancestors 'none'",
].join('; ');

export interface QueueDashboard {
  /** Mount at `QUEUE_DASHBOARD_PATH`: the caller check, then the board of the caller's role. */
  handlers: RequestHandler[];
  /** Closes the queues the dashboard opened (not the operation queue, which it was given). */
  close(): Promise<void>;
}

/**
 * Bull Board over the operation queue and the scheduled-job queues (maintenance, reconciliation, alert sweep). Admins get the
 * full board; viewers a read-only one (Bull Board's `readOnlyMode` hides its buttons, and any request but a read is
 * refused here with 403 before it reaches the board); anyone else 401 or 403 in the contract's shape. Who calls is
 * asked of `credentials` (bearer tokens today), so a console session can be added without touching the board.
 */
export function createQueueDashboard(options: {
  operationQueue: Queue;
  /** `worker.queueName`: the scheduled-job queues are named after it. */
  queueName: string;
  connection: Redis;
  credentials: readonly CredentialSource[];
}): QueueDashboard {
  const scheduledQueues = [maintenanceQueueName, reconcileQueueName, alertSweepQueueName].map(
    (nameOf) => new Queue(nameOf(options.queueName), { connection: options.connection }),
  );
  const queues = [options.operationQueue, ...scheduledQueues];
  const fullBoard = boardOf(queues, { readOnlyMode: false });
  const readOnlyBoard = boardOf(queues, { readOnlyMode: true });
  const byRole: RequestHandler = (req, res, next) => {
    res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    if (actorOf(res)?.role === 'admin') return fullBoard(req, res, next);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return next(new ForbiddenError('the queue dashboard is read-only for this role', { roles: ['admin'] }));
    }
    return readOnlyBoard(req, res, next);
  };
  return {
    handlers: [requireCaller(options.credentials, ['admin', 'viewer']), byRole],
    async close() {
      await Promise.all(scheduledQueues.map((queue) => queue.close()));
    },
  };
}

function boardOf(queues: readonly Queue[], options: { readOnlyMode: boolean }): RequestHandler {
  const serverAdapter = new ExpressAdapter().setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: queues.map((queue) => new BullMQAdapter(queue, options)),
    serverAdapter,
    options: { uiConfig: { boardTitle: options.readOnlyMode ? 'License queues (read-only)' : 'License queues' } },
  });
  const board = serverAdapter.getRouter() as RequestHandler & { disable(setting: string): void };
  board.disable('x-powered-by');
  return board;
}
