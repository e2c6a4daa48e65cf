import type { MiddlewareHandler } from 'hono';
import type { Identity } from '../../auth/identity.service.ts';
import { readSessionCookie } from '../cookies.ts';
import type { AppEnv } from '../types.ts';

/**
 * Works out who is calling: `Authorization: Bearer osk_…` (API key) or the
 * session cookie. Anonymous requests go on without a caller; routes decide.
 * A session the MFA policy holds to enrolment is marked `mfaEnrolmentRequired`.
 */
export function identify(identity: Identity): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const auth = c.req.header('authorization');
    if (auth?.startsWith('Bearer ')) {
      const found = identity.keys.authenticate(auth.slice(7).trim());
      if (found) c.set('caller', { via: 'key', ...found });
    } else {
      const found = identity.sessions.authenticate(readSessionCookie(c));
      if (found) {
        // Worked out on every request, so enrolling (or an admin's reset) takes effect at once.
        const restricted = identity.mfa.enrolmentRequired(found.user, found.session);
        c.set('caller', {
          via: 'session',
          ...found,
          csrfToken: identity.sessions.csrfToken(found.session),
          ...(restricted ? { mfaEnrolmentRequired: true } : {}),
        });
      }
    }
    await next();
  };
}
