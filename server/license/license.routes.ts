import { Hono } from 'hono';
import { z } from 'zod';
import type { LicenseService } from './license.service.ts';
import { actorOf, callerOf, requireAdmin } from '../http/middleware/guards.ts';
import { publicLicense } from './license.views.ts';
import type { AppEnv } from '../http/types.ts';
import { jsonBody } from '../http/validate.ts';

const installBody = z.object({ code: z.string().min(1).max(8000) });

/** `/api/license`: state, request codes and activation (admins only). */
export function licenseRoutes(license: LicenseService) {
  return new Hono<AppEnv>()
    .use(requireAdmin)
    .get('/', (c) =>
      c.json({
        ...license.state(),
        history: license.history().map(publicLicense),
      }),
    )
    .post('/request', (c) => c.json({ code: license.requestCode(actorOf(callerOf(c)), c.get('ip')) }))
    .post('/install', async (c) => {
      const body = await jsonBody(c, installBody);
      return c.json(license.install(body.code, actorOf(callerOf(c)), c.get('ip')));
    });
}
