import { Hono } from 'hono';
import type { Identity } from './identity.service.ts';
import { callerOf, requireSession, requireUser } from '../http/middleware/guards.ts';
import { createKeyBody } from './identity.schemas.ts';
import type { AppEnv } from '../http/types.ts';
import { jsonBody } from '../http/validate.ts';

/**
 * `/api/keys`: the caller's own API keys. The key itself is returned once, at
 * creation. Making and revoking keys needs a browser session (a leaked key
 * cannot mint more, or revoke the others); listing is open to a key too: it
 * shows names, prefixes and last use, never a secret, so a program can check
 * its own key.
 */
export function keysRoutes(identity: Identity) {
  return new Hono<AppEnv>()
    .use(requireUser)
    .get('/', (c) => c.json({ keys: identity.keys.list(callerOf(c).user.id) }))
    .post('/', requireSession, async (c) => {
      const body = await jsonBody(c, createKeyBody);
      const { key, record } = identity.keys.create(callerOf(c).user, body.name, c.get('ip'));
      c.header('cache-control', 'no-store');
      return c.json({ key, ...record }, 201);
    })
    .delete('/:id', requireSession, (c) => c.json(identity.keys.revoke(callerOf(c).user, c.req.param('id'), c.get('ip'))));
}
