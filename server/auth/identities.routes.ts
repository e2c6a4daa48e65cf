import { Hono } from 'hono';
import { actorOf, callerOf, requireAdmin } from '../http/middleware/guards.ts';
import type { AppEnv } from '../http/types.ts';
import { jsonBody } from '../http/validate.ts';
import { linkIdentityBody } from './identity.schemas.ts';
import type { Identity } from './identity.service.ts';

/**
 * `/api/users/:id/identities`: the directory identities linked to an
 * account (admins only). Linking a local account to an identity is always
 * this explicit action; a matching email never links by itself.
 */
export function identitiesRoutes(identity: Identity) {
  return new Hono<AppEnv>()
    .use('/:id/identities', requireAdmin)
    .use('/:id/identities/*', requireAdmin)
    .get('/:id/identities', (c) => {
      const user = identity.users.get(c.req.param('id'));
      return c.json({ identities: identity.directory.identitiesOf(user.id) });
    })
    .post('/:id/identities', async (c) => {
      const body = await jsonBody(c, linkIdentityBody);
      const linked = identity.directory.link(c.req.param('id'), body, actorOf(callerOf(c)), c.get('ip'));
      return c.json({ identity: linked }, 201);
    })
    .delete('/:id/identities/:identityId', (c) => {
      identity.directory.unlink(c.req.param('id'), c.req.param('identityId'), actorOf(callerOf(c)), c.get('ip'));
      return c.json({ ok: true });
    });
}
