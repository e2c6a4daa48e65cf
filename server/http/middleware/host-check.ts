import type { Context, MiddlewareHandler } from 'hono';
import { parseHost } from '../../kernel/host-names.ts';
import { errorResponse } from '../errors.ts';
import { isLoopbackName, type HostPolicy } from '../hosts.ts';
import { fromLoopback } from '../peer.ts';
import type { AppEnv } from '../types.ts';

// The Host header, and the URL's host (the same, except for an absolute-form request target, or in-process requests without a header).
function namedHosts(c: Context<AppEnv>): Array<string | undefined> {
  const header = c.req.header('host');
  const names = [parseHost(new URL(c.req.url).host)?.name];
  if (header !== undefined) names.push(parseHost(header)?.name);
  return names;
}

/**
 * The DNS-rebinding defence: a request whose Host is not one of this
 * server's names (APP_BASE_URL's host, ALLOWED_HOSTS) is answered 421
 * `misdirected_request` before anything reads a cookie. A page on a
 * rebound name (`evil.example` now pointing here) sends its own name as
 * Host, so it never reaches a route. Loopback names (`localhost`,
 * `127.0.0.1`, `[::1]`) pass when the socket peer is loopback too: that is
 * the container health check or a shell on the machine, never a rebinding.
 */
export function hostCheck(policy: HostPolicy): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    for (const name of namedHosts(c)) {
      if (name !== undefined && (policy.allows(name) || (isLoopbackName(name) && fromLoopback(c)))) continue;
      return errorResponse(
        c,
        'misdirected_request',
        `this server does not answer to the host ${JSON.stringify(c.req.header('host')?.slice(0, 100) ?? name ?? '')}; add it to ALLOWED_HOSTS or use APP_BASE_URL's host`,
      );
    }
    return next();
  };
}
