/** @jsxImportSource hono/jsx */
import { Hono } from 'hono';
import type { HealthService } from '../lib/health.ts';
import type { AppEnv } from '../http/types.ts';
import { staticAsset } from './assets.ts';
import { HomePage } from './pages/home.tsx';

/** Dependencies of the UI routes. */
export interface UiDeps {
  version: string;
  health: HealthService;
}

/** Server-rendered pages and the embedded static files. */
export function uiRoutes(deps: UiDeps) {
  return new Hono<AppEnv>()
    .get('/static/:name', (c) => {
      const asset = staticAsset(c.req.param('name'));
      if (!asset) return c.notFound();
      const etag = `"${asset.etag}"`;
      c.header('etag', etag);
      c.header('cache-control', c.req.query('v') ? 'public, max-age=31536000, immutable' : 'no-cache');
      if (c.req.header('if-none-match') === etag) return c.body(null, 304);
      c.header('content-type', asset.contentType);
      return c.body(asset.body);
    })
    .get('/', async (c) => c.html(<HomePage version={deps.version} readiness={await deps.health.readiness()} />));
}
