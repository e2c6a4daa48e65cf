import { Hono } from 'hono';
import { isLoopbackOrPrivate } from '../../lib/net-ranges.ts';
import { secretsEqual } from '../../lib/secrets.ts';
import { peerAddress } from '../client-address.ts';
import { errorResponse } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import type { AppEnv } from '../types.ts';

/**
 * `/metrics` in Prometheus text format. Open to loopback and private
 * addresses (the operator's own monitoring); from anywhere else only with
 * `Authorization: Bearer METRICS_TOKEN`.
 */
export function metricsRoutes(metrics: Metrics, metricsToken: string | undefined) {
  return new Hono<AppEnv>().get('/', async (c) => {
    const auth = c.req.header('authorization') ?? '';
    const bearer = auth.startsWith('Bearer ') ? auth.slice(7) : undefined;
    const tokenOk = metricsToken !== undefined && bearer !== undefined && secretsEqual(bearer, metricsToken);
    if (!tokenOk && !isLoopbackOrPrivate(peerAddress(c))) {
      return errorResponse(c, 'forbidden', 'metrics are served to loopback and private addresses, or with the metrics token');
    }
    c.header('content-type', metrics.registry.contentType);
    c.header('cache-control', 'no-store');
    return c.body(await metrics.registry.metrics());
  });
}
