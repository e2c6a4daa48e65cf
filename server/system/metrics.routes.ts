import { Hono } from 'hono';
import { errorResponse } from '../http/errors.ts';
import type { Metrics } from '../http/metrics.ts';
import { observerAccess } from '../http/observer.ts';
import type { AppEnv } from '../http/types.ts';

/**
 * `/metrics` in Prometheus text format, for `Authorization: Bearer
 * METRICS_TOKEN` or a loopback socket peer. Anyone else gets 401
 * `unauthorized` when a token is configured (send it), 403 `forbidden`
 * when none is (no credential would help). Private addresses get no
 * exemption: on a LAN every desk is a private address.
 */
export function metricsRoutes(metrics: Metrics, metricsToken: string | undefined) {
  return new Hono<AppEnv>().get('/', async (c) => {
    const access = observerAccess(c, metricsToken);
    if (access !== 'token' && access !== 'loopback') {
      if (!metricsToken) return errorResponse(c, 'forbidden', 'metrics are served on loopback only; set METRICS_TOKEN to let a monitoring host read them');
      c.header('www-authenticate', 'Bearer realm="metrics"');
      return errorResponse(c, 'unauthorized', access === 'wrong' ? 'that is not the metrics token' : 'send Authorization: Bearer METRICS_TOKEN');
    }
    c.header('content-type', metrics.registry.contentType);
    c.header('cache-control', 'no-store');
    return c.body(await metrics.registry.metrics());
  });
}
