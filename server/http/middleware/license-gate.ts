import type { MiddlewareHandler } from 'hono';
import type { LicenseService } from '../../license/license.service.ts';
import type { AppEnv } from '../types.ts';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
// What must keep working when the license has run out: signing in and out (with the
// second factor, and enrolling one where MFA_REQUIRED holds an admin to that before the
// renewal page), installing a renewal, setting a password from a link, and miners enrolling.
const ALWAYS_ALLOWED =
  /^\/(api\/auth\/(login(\/mfa)?|logout|accept|mfa(\/.*)?)|api\/miners\/enroll|login(\/mfa)?|logout|profile\/mfa(\/.*)?|api\/license(\/.*)?|admin\/license(\/.*)?|(invite|reset)\/[^/]+)$/;

/** Past the grace period, refuses every write except the ones above (`license_read_only`). */
export function licenseGate(license: LicenseService): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!SAFE.has(c.req.method) && !ALWAYS_ALLOWED.test(c.req.path)) license.assertWritable();
    await next();
  };
}
