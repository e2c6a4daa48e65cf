import { Hono } from 'hono';
import type { ModelBackend } from '../backend/backend.types.ts';
import { type ModelService } from './models.service.ts';
import { canonicalModel } from '../kernel/protocol/miner.ts';
import { modelBody, modelPatchBody } from './models.schemas.ts';
import { actorOf, callerOf, requireAdmin } from '../http/middleware/guards.ts';
import { publicModel } from './models.views.ts';
import type { AppEnv } from '../http/types.ts';
import { jsonBody } from '../http/validate.ts';

/** `/api/models`: the catalog (admin), with what the backend offers that is not in it yet. */
export function modelsRoutes(models: ModelService, backend: ModelBackend) {
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
