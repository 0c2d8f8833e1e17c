/**
 * A value read now and then and shared: callers within `maxAgeMs` of the last read get that read's value, and callers
 * that arrive while a read is running wait for it instead of starting their own. A failed read is not kept, so the
 * next caller tries again.
 */
export class SharedRefresh<T> {
  private last: { value: T; readAt: number } | null = null;
  private running: Promise<T> | null = null;

  constructor(
    private readonly read: () => Promise<T>,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(): Promise<T> {
    if (this.last && this.now() - this.last.readAt < this.maxAgeMs) return Promise.resolve(this.last.value);
    this.running ??= this.read().then(
      (value) => {
        this.last = { value, readAt: this.now() };
        this.running = null;
        return value;
      },
      (error: unknown) => {
        this.running = null;
        throw error;
      },
    );
    return this.running;
  }
}
