import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Log } from '../../kernel/log.ts';
import type { Metrics } from '../metrics.ts';
import type { AppEnv } from '../types.ts';

/**
 * Logs one line per request and feeds the request metrics. Only the method,
 * the matched route pattern (never the path or query, which may carry a
 * token), the status and the duration are logged: no header, no body.
 */
export function accessLog(log: Log, metrics: Metrics): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const seconds = (performance.now() - started) / 1000;
    // The pattern of the handler that answered (middleware are registered as ALL),
    // so labels stay bounded whatever paths clients send.
    const route = matchedRoutes(c).findLast((r) => r.method !== 'ALL')?.path ?? 'unmatched';
    metrics.requests.inc({ method: c.req.method, route, status: String(c.res.status) });
    metrics.duration.observe({ method: c.req.method, route }, seconds);
    log.info(
      // The route pattern, not the path: paths such as /reset/<token> carry secrets.
      { reqId: c.get('requestId'), method: c.req.method, route, status: c.res.status, ms: Math.round(seconds * 1e4) / 10 },
      'request',
    );
  };
}
