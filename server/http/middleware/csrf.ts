import type { MiddlewareHandler } from 'hono';
import type { Identity } from '../../auth/identity.service.ts';
import { errorResponse } from '../errors.ts';
import type { AppEnv } from '../types.ts';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * CSRF protection for state-changing requests. Any request a browser marks
 * with a foreign Origin (or `Sec-Fetch-Site: cross-site`) is refused. A
 * request authenticated by the session cookie must also carry an Origin or
 * Referer among `origins` and the session's CSRF token (`x-csrf-token`
 * header or `_csrf` form field). API-key requests carry no ambient
 * credential and pass. `origins` come from configuration (APP_BASE_URL,
 * ALLOWED_HOSTS), never from the request's Host.
 */
export function csrf(identity: Identity, origins: ReadonlySet<string>): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (SAFE.has(c.req.method)) return next();
    const allowed = (o: string) => origins.has(o);
    const origin = c.req.header('origin');
    const refererOrigin = (() => {
      const r = c.req.header('referer');
      return r && URL.canParse(r) ? new URL(r).origin : undefined;
    })();
    if ((origin && origin !== 'null' && !allowed(origin)) || origin === 'null' || c.req.header('sec-fetch-site') === 'cross-site') {
      return errorResponse(c, 'csrf_failed', 'cross-site request refused');
    }
    const caller = c.get('caller');
    if (caller?.via === 'session') {
      const source = origin ?? refererOrigin;
      if (!source || !allowed(source)) return errorResponse(c, 'csrf_failed', 'request origin missing or foreign');
      let token = c.req.header('x-csrf-token');
      if (!token && /^(application\/x-www-form-urlencoded|multipart\/form-data)/.test(c.req.header('content-type') ?? '')) {
        const field = (await c.req.parseBody())._csrf;
        token = typeof field === 'string' ? field : undefined;
      }
      if (!identity.sessions.verifyCsrf(caller.session, token)) return errorResponse(c, 'csrf_failed', 'CSRF token missing or wrong; reload the page');
    }
    return next();
  };
}
