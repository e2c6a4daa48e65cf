/** @jsxImportSource hono/jsx */
import { Hono } from 'hono';
import type { BrowserMonitor } from '../browser-client/browser-status.service.ts';
import { callerOf } from '../http/middleware/guards.ts';
import type { AppEnv } from '../http/types.ts';
import type { HealthService } from '../kernel/health.ts';
import type { LicenseService } from '../license/license.service.ts';
import { REVISION } from '../version.ts';
import { SystemPage } from './system.page.tsx';
import type { KnowledgeStatus } from '../knowledge/status.service.ts';
import { pageAdmin } from '../ui/guards.ts';

/** Dependencies of the system page. */
export interface SystemPagesDeps {
  version: string;
  health: HealthService;
  browser: BrowserMonitor;
  license: LicenseService;
  knowledge: { status: () => KnowledgeStatus };
}

/** `/admin/system`: readiness checks, the browser sidecar's pool, the knowledge base, the license and versions. */
export function systemPages(deps: SystemPagesDeps) {
  return new Hono<AppEnv>().use(pageAdmin).get('/', async (c) => {
    const [readiness, browser] = await Promise.all([deps.health.readiness(), deps.browser.status()]);
    const versions = { onsite: deps.version, revision: REVISION, node: process.versions.node, browser: browser.health?.version };
    return c.html(
      <SystemPage
        caller={callerOf(c)}
        readiness={readiness}
        browser={browser}
        license={deps.license.state()}
        knowledge={deps.knowledge.status()}
        versions={versions}
      />,
    );
  });
}
