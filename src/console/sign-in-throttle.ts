/**
 * Slows guessing at the sign-in form: each client address may fail `maxFailures` times within `windowMs`, after which
 * it is refused until the window ends. Kept per process (a guess spread over several processes gets each one's
 * allowance), which is enough against a guesser: tokens are at least 16 characters.
 */
export class SignInThrottle {
  private readonly failures = new Map<string, { count: number; since: number }>();

  constructor(
    private readonly maxFailures = 5,
    private readonly windowMs = 15 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until `client` may try again, or 0. */
  retryAfterSeconds(client: string): number {
    const entry = this.current(client);
    if (!entry || entry.count < this.maxFailures) return 0;
    return Math.ceil((entry.since + this.windowMs - this.now()) / 1000);
  }

  recordFailure(client: string): void {
    const entry = this.current(client) ?? { count: 0, since: this.now() };
    entry.count += 1;
    this.failures.set(client, entry);
    if (this.failures.size > 10_000) this.forgetOld();
  }

  recordSuccess(client: string): void {
    this.failures.delete(client);
  }

  private current(client: string) {
    const entry = this.failures.get(client);
    if (entry && this.now() - entry.since >= this.windowMs) {
      this.failures.delete(client);
      return undefined;
    }
    return entry;
  }

  private forgetOld(): void {
    for (const client of [...this.failures.keys()]) this.current(client);
  }
}
