import { Hono } from 'hono';
import type { Identity } from './identity.service.ts';
import { callerOf, requireSession } from '../http/middleware/guards.ts';
import { mfaCodeBody } from './mfa.schemas.ts';
import type { AppEnv } from '../http/types.ts';
import { jsonBody } from '../http/validate.ts';

/**
 * `/api/auth/mfa`: the caller's own second factor, from a browser session
 * only (an API key cannot enrol or turn it off). The one API a session
 * awaiting enrolment may use, with `me` and logout.
 */
export function mfaRoutes(identity: Identity) {
  return new Hono<AppEnv>()
    .use(requireSession)
    .get('/', (c) => c.json({ mfa: identity.mfa.status(callerOf(c).user) }))
    .post('/enrol', async (c) => {
      c.header('cache-control', 'no-store');
      return c.json(await identity.mfa.start(callerOf(c).user), 201);
    })
    .post('/confirm', async (c) => {
      const body = await jsonBody(c, mfaCodeBody);
      c.header('cache-control', 'no-store');
      return c.json(identity.mfa.confirm(callerOf(c).user, body.code, c.get('ip')));
    })
    .post('/recovery-codes', async (c) => {
      const body = await jsonBody(c, mfaCodeBody);
      c.header('cache-control', 'no-store');
      return c.json(identity.mfa.regenerateRecoveryCodes(callerOf(c).user, body.code, c.get('ip')));
    })
    .post('/disable', async (c) => {
      const body = await jsonBody(c, mfaCodeBody);
      identity.mfa.disable(callerOf(c).user, body.code, c.get('ip'));
      return c.json({ ok: true });
    });
}
