/** A token bucket: a burst of `capacity` events, then `perSecond` on average. */
export interface TokenBucket {
  /** Takes one token; false when the bucket is empty (the event is over the limit). */
  take(): boolean;
}

/** Creates a full bucket holding `capacity` tokens and refilled at `perSecond`, on the given clock. */
export function createTokenBucket(capacity: number, perSecond: number, now: () => number): TokenBucket {
  let tokens = capacity;
  let at = now();
  return {
    take() {
      const t = now();
      tokens = Math.min(capacity, tokens + ((t - at) / 1000) * perSecond);
      at = t;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}
