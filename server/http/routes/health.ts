import { Hono } from 'hono';
import type { HealthService } from '../../lib/health.ts';
import type { AppEnv } from '../types.ts';

/**
 * `/health` (summary), `/health/live` (the process answers) and
 * `/health/ready` (every named check). Not-ready answers are 503.
 */
export function healthRoutes(health: HealthService) {
  return new Hono<AppEnv>()
    .get('/live', (c) => c.json({ status: 'ok' }))
    .get('/ready', async (c) => {
      const report = await health.readiness();
      return c.json(report, report.status === 'ok' ? 200 : 503);
    })
    .get('/', async (c) => {
      const report = await health.readiness();
      if (report.status === 'ok') return c.json({ status: 'ok' });
      const reasons = Object.entries(report.checks)
        .filter(([, r]) => !r.ok)
        .map(([name, r]) => r.reason ?? name);
      return c.json({ status: 'error', reasons }, 503);
    });
}
