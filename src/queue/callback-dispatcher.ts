import axios from 'axios';
import type { Logger } from 'pino';
import { retryDelayMs } from '../domain/lifecycle';
import type { OperationStore } from '../db/operation-store';
import { signPayload } from '../platform/signature';
import { operationView } from '../platform/views';

const BATCH = 50;

/**
 * Delivers every finished operation to `platform.callbackUrl`, signed like hooks, until the platform answers 2xx.
 * What is due lives in the database (`callback_state`), so a restart loses nothing; delivery is at least once, and
 * the platform tells repeats apart by the operation id.
 */
export class CallbackDispatcher {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly options: {
      url: string;
      secret: string;
      operations: OperationStore;
      logger: Logger;
      timeoutMs?: number;
      now?: () => Date;
    },
  ) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => this.nudge(), intervalMs);
    this.timer.unref();
  }

  nudge(): void {
    if (this.running) return;
    this.running = this.deliverDue()
      .catch((err) =>
        this.options.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'callback pass failed'),
      )
      .finally(() => (this.running = null));
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  async deliverDue(): Promise<void> {
    const now = this.options.now ?? (() => new Date());
    for (const op of await this.options.operations.listCallbacksDue(now(), BATCH)) {
      const body = JSON.stringify(operationView(op));
      let delivered = false;
      try {
        const answer = await axios.post(this.options.url, body, {
          headers: { 'content-type': 'application/json', 'x-signature': signPayload(this.options.secret, body) },
          timeout: this.options.timeoutMs ?? 10_000,
          validateStatus: () => true,
          maxRedirects: 0,
        });
        delivered = answer.status >= 200 && answer.status < 300;
        if (!delivered)
          this.options.logger.warn({ operationId: op.id, status: answer.status }, 'callback refused; will retry');
      } catch (err) {
        this.options.logger.warn({ operationId: op.id, err: (err as Error).message }, 'callback failed; will retry');
      }
      const delay = retryDelayMs(op.callbackAttempts + 1, { baseMs: 2000, maxMs: 600_000 });
      const next = delivered ? null : new Date(now().getTime() + delay);
      await this.options.operations.recordCallback(op.id, delivered, next, now());
    }
  }
}
