/** Bounds of an exponential backoff, in milliseconds. */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/** Reconnecting to the server: 0.5 s doubling up to 30 s. */
export const RECONNECT_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 30_000 };

/** Enrolment refused (401/403): slower, because a person has to fix something first. */
export const REFUSED_BACKOFF: BackoffPolicy = { baseMs: 5_000, maxMs: 300_000 };

/**
 * Computes the delay before retry number `attempt` (0-based) with full
 * jitter: a uniform pick between 0 and the capped exponential bound, so many
 * miners restarting together do not reconnect in lockstep.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const bound = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * bound);
}

/** Waits `ms` milliseconds; resolves early (never rejects) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
