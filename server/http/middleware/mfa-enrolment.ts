import type { MiddlewareHandler } from 'hono';
import { errorResponse } from '../errors.ts';
import type { AppEnv } from '../types.ts';

// What a session awaiting enrolment may still reach: enrolment itself, who am I, signing out, the page assets.
const API_OPEN = /^\/api\/auth\/(mfa(\/.*)?|me|logout)$/;
const PAGE_OPEN = /^\/(profile\/mfa(\/.*)?|account\/mfa|logout|static\/.*)$/;

/** Where a session awaiting enrolment is sent. */
export const ENROL_PAGE = '/profile/mfa';

/**
 * Holds a session the MFA policy restricts (see the identity middleware's
 * `mfaEnrolmentRequired`) to enrolment: every other API answers 403
 * `mfa_enrolment_required`, every other page redirects to the enrolment
 * page. API keys and other sessions pass untouched.
 */
export const mfaEnrolmentGate: MiddlewareHandler<AppEnv> = async (c, next) => {
  const caller = c.get('caller');
  if (caller?.via !== 'session' || !caller.mfaEnrolmentRequired) return next();
  const path = c.req.path;
  if (path.startsWith('/api/') || path.startsWith('/v1/')) {
    if (API_OPEN.test(path)) return next();
    return errorResponse(c, 'mfa_enrolment_required', `set up two-step sign-in first (${ENROL_PAGE}, or the API under /api/auth/mfa)`);
  }
  if (PAGE_OPEN.test(path)) return next();
  return c.redirect(ENROL_PAGE, 303);
};
