/**
 * The sandbox's own clock. It runs at real speed from where it was last put, so a demo sandbox ages like a real
 * server, while tests move it with `advance` and `set` to reach expiry dates, cooldown ends and session time-outs.
 */
export class SandboxClock {
  private base: Date;
  private baseRealMs: number;

  constructor(private readonly initial: Date | undefined) {
    this.base = initial ? new Date(initial) : new Date();
    this.baseRealMs = Date.now();
  }

  /** The sandbox's present moment. */
  now(): Date {
    return new Date(this.base.getTime() + (Date.now() - this.baseRealMs));
  }

  /** Moves the clock forward (or back, with a negative value) by `ms`. */
  advance(ms: number): void {
    this.set(new Date(this.now().getTime() + ms));
  }

  /** Puts the clock at `at`; it keeps running from there. */
  set(at: Date): void {
    if (Number.isNaN(at.getTime())) throw new RangeError('invalid date for the sandbox clock');
    this.base = new Date(at);
    this.baseRealMs = Date.now();
  }

  /** Back to the start time given at start-up, or to the real present moment when none was given. */
  reset(): void {
    this.set(this.initial ?? new Date());
  }
}
