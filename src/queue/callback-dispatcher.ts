import crypto from 'node:crypto';
import os from 'node:os';
import type { Logger } from 'pino';
import { retryDelayMs } from '../domain/lifecycle';
import type { CallbackClaim, CallbackStore } from '../db/callback-store';
import type { OperationStore } from '../db/operation-store';
import { signPayload } from '../platform/signature';
import { operationView } from '../platform/views';

/** Deliveries per pass; the next pass (or nudge) carries on. */
const BATCH = 50;
/** A claim outlives the delivery's deadline by this much, so only a crashed deliverer's claim ever expires. */
const CLAIM_MARGIN_MS = 5000;

export interface CallbackDispatcherOptions {
  /** `platform.callbackUrl`. */
  url: string;
  /** Signs each callback like a hook (`platform.callbackSecret`, default `hooks.secret`). */
  secret: string;
  callbacks: CallbackStore;
  operations: Pick<OperationStore, 'get'>;
  logger: Logger;
  /** Total deadline of one delivery, from connect to the reply's last byte (`platform.callbackTimeoutMs`). */
  timeoutMs: number;
  /** The largest reply read; a larger one is a failed delivery (`platform.callbackMaxReplyBytes`). */
  maxReplyBytes: number;
  now?: () => Date;
}

type DeliveryOutcome = { delivered: true } | { delivered: false; reason: string };

/**
 * Delivers every finished operation to `platform.callbackUrl`, signed like hooks, until the platform answers 2xx.
 * What is due lives in the database, so a restart loses nothing. Each delivery is claimed first (see
 * `CallbackStore`), so two worker processes never send one callback at the same time; delivery stays at least once
 * (a deliverer that crashes after sending sends again once its claim expires), and the platform tells repeats apart
 * by the operation id. A delivery that outlasts its deadline, or whose reply is larger than the cap, failed: it is
 * retried with back-off like a refusal.
 */
export class CallbackDispatcher {
  /** Names this dispatcher's claims. */
  readonly owner = `${os.hostname()}:${process.pid}:${crypto.randomUUID()}`;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly options: CallbackDispatcherOptions) {}

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

  /** Claims and delivers due callbacks one at a time, until none is due or a batch is done. */
  async deliverDue(): Promise<void> {
    const { callbacks, timeoutMs } = this.options;
    for (let sent = 0; sent < BATCH; sent++) {
      const claim = await callbacks.claimNextDue(this.owner, timeoutMs + CLAIM_MARGIN_MS, this.now());
      if (!claim) return;
      await this.deliver(claim);
    }
  }

  private async deliver(claim: CallbackClaim): Promise<void> {
    const op = await this.options.operations.get(claim.operationId);
    if (!op) return;
    const outcome = await this.post(JSON.stringify(operationView(op)));
    const log = this.options.logger.child({ operationId: op.id, attempt: claim.attempts + 1 });
    if (!outcome.delivered) log.warn({ reason: outcome.reason }, 'callback not delivered; will retry');
    const delay = retryDelayMs(claim.attempts + 1, { baseMs: 2000, maxMs: 600_000 });
    const nextAt = outcome.delivered ? null : new Date(this.now().getTime() + delay);
    const recorded = await this.options.callbacks.recordDelivery(
      { ...claim, owner: this.owner },
      outcome.delivered,
      nextAt,
      this.now(),
    );
    if (!recorded) log.warn('callback claim expired during delivery; another deliverer has it');
  }

  /** One POST under one total deadline (connect, send, and the whole reply), reading at most `maxReplyBytes`. */
  private async post(body: string): Promise<DeliveryOutcome> {
    const { url, secret, timeoutMs, maxReplyBytes } = this.options;
    try {
      const response = await fetch(url, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', 'x-signature': signPayload(secret, body) },
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      const replyTooLarge = await readAtMost(response, maxReplyBytes);
      if (replyTooLarge) return { delivered: false, reason: `reply larger than ${maxReplyBytes} bytes` };
      if (response.status < 200 || response.status >= 300)
        return { delivered: false, reason: `answered ${response.status}` };
      return { delivered: true };
    } catch (err) {
      const name = (err as Error)?.name;
      if (name === 'TimeoutError' || name === 'AbortError')
        return { delivered: false, reason: `no complete reply within ${timeoutMs} ms` };
      return { delivered: false, reason: (err as Error)?.message ?? String(err) };
    }
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }
}

/** Reads and drops the reply; true (and stops reading) as soon as it exceeds `maxBytes`. */
async function readAtMost(response: Response, maxBytes: number): Promise<boolean> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > maxBytes || !response.body) {
    await response.body?.cancel();
    return declared > maxBytes;
  }
  const reader = response.body.getReader();
  let read = 0;
  for (;;) {
    const chunk = await reader.read();
    if (chunk.done) return false;
    read += chunk.value.byteLength;
    if (read > maxBytes) {
      await reader.cancel();
      return true;
    }
  }
}
