import { Hono } from 'hono';
import type { ModelBackend } from '../../backend/types.ts';
import { publicModel, type ModelService } from '../../models/service.ts';
import { canonicalModel } from '../../kernel/protocol/miner.ts';
import { modelBody, modelPatchBody } from '../chat-schemas.ts';
import { actorOf, callerOf, requireAdmin } from '../middleware/guards.ts';
import type { AppEnv } from '../types.ts';
import { jsonBody } from '../validate.ts';

/** `/api/models`: the catalog (admin), with what the backend offers that is not in it yet. */
export function modelRoutes(models: ModelService, backend: ModelBackend) {
  return new Hono<AppEnv>()
    .use(requireAdmin)
    .get('/', async (c) => {
      const catalog = models.list();
      const known = new Set(catalog.map((m) => canonicalModel(m.name)));
      const offered = (await backend.available()).filter((m) => !known.has(canonicalModel(m.name)));
      return c.json({ models: catalog.map(publicModel), available: offered });
    })
    .post('/', async (c) => c.json(publicModel(models.save(actorOf(callerOf(c)), await jsonBody(c, modelBody))), 201))
    .patch('/:name{.+}', async (c) => c.json(publicModel(models.update(actorOf(callerOf(c)), c.req.param('name'), await jsonBody(c, modelPatchBody)))))
    .delete('/:name{.+}', (c) => {
      models.remove(actorOf(callerOf(c)), c.req.param('name'));
      return c.body(null, 204);
    });
}
