import { Hono } from 'hono';
import type { Retrieval } from './search.service.ts';
import { publicHit } from './collections.views.ts';
import { callerOf, requireUser } from '../http/middleware/guards.ts';
import type { AppEnv } from '../http/types.ts';
import { jsonBody } from '../http/validate.ts';
import { searchBody } from './collections.schemas.ts';

/** `POST /api/search`: hybrid search over the caller's readable collections (or the ones named). */
export function searchRoutes(retrieval: Retrieval) {
  return new Hono<AppEnv>().use(requireUser).post('/', async (c) => {
    const body = await jsonBody(c, searchBody);
    const caller = callerOf(c);
    const out = await retrieval.search({ userId: caller.user.id, queries: [body.query], collectionIds: body.collectionIds, topK: body.topK }, c.req.raw.signal);
    return c.json({ mode: out.mode, notice: out.notice ?? null, results: out.hits.map(publicHit) });
  });
}
