/** Gives a slot back; calling it more than once is harmless. */
export type Release = () => void;

/**
 * Counts slots for work that must not run more than `limit` at once.
 * Waiters are served first come, first served, and each waits a bounded
 * time: a caller that cannot get a slot in time is told so rather than
 * queued forever.
 */
export class Semaphore {
  private active = 0;
  private readonly waiters: Array<(release: Release) => void> = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('a semaphore needs at least one slot');
  }

  /** Slots in use. */
  get inUse(): number {
    return this.active;
  }

  /** Callers waiting for a slot. */
  get waiting(): number {
    return this.waiters.length;
  }

  /**
   * Takes a slot, waiting at most `waitMs` for one. Resolves with its
   * release function, or with undefined when none came free in time.
   * Rejects with the signal's reason when `signal` aborts first.
   */
  acquire(waitMs: number, signal?: AbortSignal): Promise<Release | undefined> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.active < this.limit) {
      this.active += 1;
      return Promise.resolve(this.releaser());
    }
    if (waitMs <= 0) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      const settle = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const i = this.waiters.indexOf(grant);
        if (i >= 0) this.waiters.splice(i, 1);
      };
      const grant = (release: Release) => {
        settle();
        resolve(release);
      };
      const onAbort = () => {
        settle();
        reject(signal!.reason);
      };
      const timer = setTimeout(() => {
        settle();
        resolve(undefined);
      }, waitMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(grant);
    });
  }

  private releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // The slot passes straight to the oldest waiter, so a newcomer cannot jump the queue.
      const next = this.waiters.shift();
      if (next) next(this.releaser());
      else this.active -= 1;
    };
  }
}
