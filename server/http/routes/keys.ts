import { Hono } from 'hono';
import type { Identity } from '../../auth/index.ts';
import { publicKey } from '../../auth/key-service.ts';
import { callerOf, requireUser } from '../middleware/guards.ts';
import { createKeyBody } from '../schemas.ts';
import type { AppEnv } from '../types.ts';
import { jsonBody } from '../validate.ts';

/** `/api/keys`: the caller's own API keys. The key itself is returned once, at creation. */
export function keysRoutes(identity: Identity) {
  return new Hono<AppEnv>()
    .use(requireUser)
    .get('/', (c) => c.json({ keys: identity.keys.list(callerOf(c).user.id).map(publicKey) }))
    .post('/', async (c) => {
      const body = await jsonBody(c, createKeyBody);
      const { key, record } = identity.keys.create(callerOf(c).user, body.name, c.get('ip'));
      c.header('cache-control', 'no-store');
      return c.json({ key, ...publicKey(record) }, 201);
    })
    .delete('/:id', (c) => c.json(publicKey(identity.keys.revoke(callerOf(c).user, c.req.param('id'), c.get('ip')))));
}
