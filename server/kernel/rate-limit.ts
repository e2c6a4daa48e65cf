/** Counts events per key in fixed windows, in memory, with a bounded key count. */
export interface RateLimiter {
  /** True when the key has used up its allowance in the current window. */
  blocked(key: string): boolean;
  /** Counts one event; returns true when the key is now blocked. */
  hit(key: string): boolean;
  /** Seconds until the key's window resets. */
  retryAfter(key: string): number;
}

/** Creates a limiter allowing `limit` events per `windowMs` per key. */
export function createRateLimiter(limit: number, windowMs: number, now: () => number = Date.now, maxKeys = 100_000): RateLimiter {
  const windows = new Map<string, { start: number; count: number }>();
  const current = (key: string) => {
    const w = windows.get(key);
    if (!w || now() - w.start >= windowMs) return undefined;
    return w;
  };
  return {
    blocked: (key) => (current(key)?.count ?? 0) >= limit,
    hit(key) {
      let w = current(key);
      if (!w) {
        // Bound memory under a flood of distinct keys: forget the oldest.
        if (windows.size >= maxKeys) windows.delete(windows.keys().next().value as string);
        w = { start: now(), count: 0 };
        windows.delete(key);
        windows.set(key, w);
      }
      w.count++;
      return w.count >= limit;
    },
    retryAfter(key) {
      const w = current(key);
      return w ? Math.ceil((w.start + windowMs - now()) / 1000) : 0;
    },
  };
}
