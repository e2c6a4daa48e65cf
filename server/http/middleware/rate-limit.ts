import type { MiddlewareHandler } from 'hono';
import { createRateLimiter } from '../../kernel/rate-limit.ts';
import { errorResponse } from '../errors.ts';
import type { AppEnv } from '../types.ts';

/**
 * `RATE_LIMIT_PER_MINUTE` for the API: per signed-in user (or API key
 * owner), otherwise per address. Beyond it: 429 `rate_limited` with Retry-After.
 */
export function rateLimit(perMinute: number, now: () => number): MiddlewareHandler<AppEnv> {
  const limiter = createRateLimiter(perMinute, 60_000, now);
  return async (c, next) => {
    const caller = c.get('caller');
    const key = caller ? `user:${caller.user.id}` : `address:${c.get('ip') ?? 'unknown'}`;
    if (limiter.blocked(key)) {
      c.header('retry-after', String(Math.max(1, limiter.retryAfter(key))));
      return errorResponse(c, 'rate_limited', `more than ${perMinute} requests a minute; slow down`);
    }
    limiter.hit(key);
    await next();
  };
}
