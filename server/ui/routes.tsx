/** @jsxImportSource hono/jsx */
import { Hono } from 'hono';
import type { Identity } from '../auth/identity.service.ts';
import type { ModelBackend } from '../backend/backend.types.ts';
import type { BrowserMonitor } from '../browser-client/browser-status.service.ts';
import type { ChatService } from '../chat/chat.service.ts';
import type { AppEnv } from '../http/types.ts';
import type { Retrieval } from '../knowledge/search.service.ts';
import type { KnowledgeService } from '../knowledge/collections.service.ts';
import type { KnowledgeStatus } from '../knowledge/status.service.ts';
import type { HealthService } from '../kernel/health.ts';
import type { LicenseService } from '../license/license.service.ts';
import type { Registry } from '../miners/registry.service.ts';
import type { MinerService } from '../miners/miners.service.ts';
import type { ModelService } from '../models/models.service.ts';
import type { UsageService } from '../usage/usage.service.ts';
import { staticAsset } from './assets.ts';
import { pageAdmin } from './guards.ts';
import { bannerMiddleware } from './banner.ts';
import { HomePage } from './home.page.tsx';
import { accountPages } from '../auth/account.pages.tsx';
import { mfaPages } from '../auth/mfa.pages.tsx';
import { auditPages } from '../audit/audit.pages.tsx';
import { usersPages } from '../auth/users.pages.tsx';
import { signInSettingsPages } from '../auth/sign-in-settings.pages.tsx';
import { groupsPages } from '../groups/groups.pages.tsx';
import type { GroupsService } from '../groups/groups.service.ts';
import { authPages } from '../auth/auth.pages.tsx';
import { oidcPages } from '../auth/oidc.pages.tsx';
import { chatPages } from '../chat/chat.pages.tsx';
import { collectionsPages } from '../knowledge/collections.pages.tsx';
import { documentsPages } from '../knowledge/documents.pages.tsx';
import { licensePages } from '../license/license.pages.tsx';
import { minersPages } from '../miners/miners.pages.tsx';
import { modelsPages } from '../models/models.pages.tsx';
import { systemPages } from '../system/system.pages.tsx';
import { usagePages } from '../usage/usage.pages.tsx';

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
  /** Groups of users and the models they may use. */
  groups: GroupsService;
  /** The knowledge base: collections and documents, search, and its status for admins. */
  knowledge: { service: KnowledgeService; retrieval: Retrieval; status: () => KnowledgeStatus };
  /** The browser sidecar's status (system page). */
  browser: BrowserMonitor;
  /** The address remote miners and links use (BASE_URL). */
  baseUrl: string;
}

/** Server-rendered pages and the embedded static files. */
export function uiRoutes(deps: UiDeps) {
  return (
    new Hono<AppEnv>()
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
      .route('/auth/oidc', oidcPages(deps.identity))
      .route('/profile/mfa', mfaPages(deps.identity))
      .get('/account/mfa', (c) => c.redirect('/profile/mfa', 303))
      .route('/profile', accountPages(deps.identity))
      .route('/chat', chatPages(deps))
      .route('/collections', collectionsPages(deps))
      .route('/documents', documentsPages(deps))
      // Every admin page, and any other path under /admin, is for admins only.
      .use('/admin/*', pageAdmin)
      .route('/admin/license', licensePages(deps.license))
      .route('/admin/miners', minersPages(deps))
      .route('/admin/models', modelsPages(deps))
      .route('/admin/usage', usagePages(deps))
      .route('/admin/system', systemPages(deps))
      .route('/admin/users', usersPages(deps.identity))
      .route('/admin/sign-in', signInSettingsPages(deps.identity))
      .route('/admin/groups', groupsPages({ groups: deps.groups, users: deps.identity.users, catalog: deps.catalog }))
      .route('/admin/audit', auditPages(deps.identity.audit))
  );
}
