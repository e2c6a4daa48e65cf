import { Hono } from 'hono';
import type { Identity } from './identity.service.ts';
import { writeSessionCookie } from '../http/cookies.ts';
import { errorResponse } from '../http/errors.ts';
import { claimBody } from './identity.schemas.ts';
import type { AppEnv } from '../http/types.ts';
import { jsonBody } from '../http/validate.ts';

/** `GET /api/setup` and `POST /api/setup/claim`: the one-time first-admin claim. */
export function setupRoutes(identity: Identity) {
  return new Hono<AppEnv>()
    .get('/', (c) => c.json({ claimed: identity.setup.status().claimed }))
    .post('/claim', async (c) => {
      // Closed for good once claimed, whatever token is sent.
      if (identity.setup.status().claimed) return errorResponse(c, 'setup_closed', 'this appliance is already set up; sign in instead');
      const body = await jsonBody(c, claimBody);
      const user = await identity.setup.claim(body, c.get('ip'));
      const { token, session } = identity.sessions.create(user.id, { ip: c.get('ip'), userAgent: c.req.header('user-agent') });
      writeSessionCookie(c, token, identity.sessions.cookieMaxAge(session));
      return c.json({ user, csrfToken: identity.sessions.csrfToken(session) }, 201);
    });
}
