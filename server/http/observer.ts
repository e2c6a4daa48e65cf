import type { Context } from 'hono';
import { secretsEqual } from '../kernel/secrets.ts';
import { fromLoopback } from './peer.ts';
import type { AppEnv } from './types.ts';

/**
 * How a request may read the operator's views (`/metrics`, the checks of
 * `/health/ready`): `token` with `Authorization: Bearer METRICS_TOKEN`
 * (compared in constant time), `loopback` from a socket on this machine,
 * otherwise `none` (no credential offered) or `wrong` (a bearer that is not
 * the metrics token). Forwarded headers are never consulted.
 */
export function observerAccess(c: Context<AppEnv>, metricsToken: string | undefined): 'token' | 'loopback' | 'none' | 'wrong' {
  const auth = c.req.header('authorization');
  const bearer = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : undefined;
  if (metricsToken && bearer && secretsEqual(bearer, metricsToken)) return 'token';
  if (fromLoopback(c)) return 'loopback';
  return bearer ? 'wrong' : 'none';
}
