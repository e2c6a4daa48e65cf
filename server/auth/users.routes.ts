import { Hono } from 'hono';
import type { Identity } from './identity.service.ts';
import { actorOf, callerOf, requireAdmin } from '../http/middleware/guards.ts';
import { createUserBody, updateUserBody } from './identity.schemas.ts';
import type { AppEnv } from '../http/types.ts';
import { jsonBody } from '../http/validate.ts';

/** `/api/users`: account administration (admins only), with `DELETE /:id/mfa` for a user who lost their authenticator. */
export function usersRoutes(identity: Identity) {
  return new Hono<AppEnv>()
    .use(requireAdmin)
    .get('/', (c) => c.json({ users: identity.users.list() }))
    .post('/', async (c) => {
      const body = await jsonBody(c, createUserBody);
      const { user, inviteUrl } = await identity.users.create(body, actorOf(callerOf(c)), c.get('ip'));
      return c.json({ user, ...(inviteUrl ? { inviteUrl } : {}) }, 201);
    })
    .patch('/:id', async (c) => {
      const body = await jsonBody(c, updateUserBody);
      const user = identity.users.update(c.req.param('id'), body, actorOf(callerOf(c)), c.get('ip'));
      return c.json({ user });
    })
    .post('/:id/reset-link', (c) => {
      const link = identity.users.resetLink(c.req.param('id'), actorOf(callerOf(c)), c.get('ip'));
      return c.json(link, 201);
    })
    .delete('/:id/mfa', (c) => {
      const { sessionsRevoked } = identity.mfa.reset(c.req.param('id'), actorOf(callerOf(c)), c.get('ip'));
      return c.json({ ok: true, sessionsRevoked });
    });
}
