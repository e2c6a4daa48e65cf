interface Waiter<T> {
  resolve(value: T): void;
  reject(err: unknown): void;
  timer: NodeJS.Timeout;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

/**
 * A first-in, first-out line of callers waiting for a value, each for at
 * most `waitMs`; one who waits longer is rejected with `timeoutError()`.
 */
export class WaitQueue<T> {
  private readonly waiters: Array<Waiter<T>> = [];

  constructor(
    private readonly waitMs: number,
    private readonly timeoutError: () => Error,
  ) {}

  /** Callers in line. */
  get size(): number {
    return this.waiters.length;
  }

  /** Joins the line; rejects with the signal's reason when `signal` aborts first. */
  wait(signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = {
        resolve,
        reject,
        signal,
        timer: setTimeout(() => this.leave(waiter) && reject(this.timeoutError()), this.waitMs),
        onAbort: () => this.leave(waiter) && reject(signal?.reason),
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Hands `value` to the first in line; false when nobody waits. */
  serve(value: T): boolean {
    const waiter = this.waiters[0];
    if (!waiter) return false;
    this.leave(waiter);
    waiter.resolve(value);
    return true;
  }

  /** Rejects everybody in line with `err`. */
  rejectAll(err: unknown): void {
    for (const waiter of [...this.waiters]) {
      this.leave(waiter);
      waiter.reject(err);
    }
  }

  private leave(waiter: Waiter<T>): boolean {
    const at = this.waiters.indexOf(waiter);
    if (at < 0) return false;
    this.waiters.splice(at, 1);
    clearTimeout(waiter.timer);
    waiter.signal?.removeEventListener('abort', waiter.onAbort);
    return true;
  }
}
