/** @jsxImportSource hono/jsx */
import { Hono } from 'hono';
import type { Identity } from '../auth/index.ts';
import type { ModelBackend } from '../backend/types.ts';
import type { BrowserMonitor } from '../browser-client/status.ts';
import type { ChatService } from '../chat/service.ts';
import type { AppEnv } from '../http/types.ts';
import type { Retrieval } from '../knowledge/retrieval/service.ts';
import type { KnowledgeService } from '../knowledge/service.ts';
import type { KnowledgeStatus } from '../knowledge/status.ts';
import type { HealthService } from '../kernel/health.ts';
import type { LicenseService } from '../license/service.ts';
import type { Registry } from '../miners/registry.ts';
import type { MinerService } from '../miners/service.ts';
import type { ModelService } from '../models/service.ts';
import type { UsageService } from '../usage/service.ts';
import { staticAsset } from './assets.ts';
import { bannerMiddleware } from './banner.ts';
import { HomePage } from './pages/home.tsx';
import { accountPages } from './routes/account-pages.tsx';
import { adminPages } from './routes/admin-pages.tsx';
import { authPages } from './routes/auth-pages.tsx';
import { chatPages } from './routes/chat-pages.tsx';
import { collectionPages } from './routes/collection-pages.tsx';
import { documentPages } from './routes/document-pages.tsx';
import { licensePages } from './routes/license-pages.tsx';
import { minerPages } from './routes/miner-pages.tsx';
import { modelPages } from './routes/model-pages.tsx';
import { systemPages } from './routes/system-pages.tsx';
import { usagePages } from './routes/usage-pages.tsx';

/** Dependencies of the UI routes. */
export interface UiDeps {
  version: string;
  health: HealthService;
  identity: Identity;
  license: LicenseService;
  chat: ChatService;
  catalog: ModelService;
  miners: MinerService;
  registry: Registry;
  usage: UsageService;
  backend: ModelBackend;
  /** The knowledge base: collections and documents, search, and its status for admins. */
  knowledge: { service: KnowledgeService; retrieval: Retrieval; status: () => KnowledgeStatus };
  /** The browser sidecar's status (system page). */
  browser: BrowserMonitor;
  /** The address remote miners and links use (BASE_URL). */
  baseUrl: string;
}

/** Server-rendered pages and the embedded static files. */
export function uiRoutes(deps: UiDeps) {
  return new Hono<AppEnv>()
    .use(bannerMiddleware(() => deps.license.state()))
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
    .get('/', async (c) => {
      if (!deps.identity.setup.status().claimed) return c.redirect('/setup', 303);
      const caller = c.get('caller');
      if (!caller) return c.redirect('/login', 303);
      return c.html(<HomePage version={deps.version} readiness={await deps.health.readiness()} caller={caller} />);
    })
    .route('/', authPages(deps.identity))
    .route('/profile', accountPages(deps.identity))
    .route('/chat', chatPages(deps))
    .route('/collections', collectionPages(deps))
    .route('/documents', documentPages(deps))
    .route('/admin/license', licensePages(deps.license))
    .route('/admin/miners', minerPages(deps))
    .route('/admin/models', modelPages(deps))
    .route('/admin/usage', usagePages(deps))
    .route('/admin/system', systemPages(deps))
    .route('/admin', adminPages(deps.identity));
}
