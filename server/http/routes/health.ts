import { Hono } from 'hono';
import type { HealthService } from '../../lib/health.ts';
import type { AppEnv } from '../types.ts';

/**
 * `/health` (summary), `/health/live` (the process answers) and
 * `/health/ready` (every named check). Not-ready answers are 503; a
 * `degraded` report (only non-critical checks failing) is still 200.
 */
export function healthRoutes(health: HealthService) {
  return new Hono<AppEnv>()
    .get('/live', (c) => c.json({ status: 'ok' }))
    .get('/ready', async (c) => {
      const report = await health.readiness();
      return c.json(report, report.status === 'error' ? 503 : 200);
    })
    .get('/', async (c) => {
      const report = await health.readiness();
      if (report.status === 'ok') return c.json({ status: 'ok' });
      const reasons = Object.entries(report.checks)
        .filter(([, r]) => !r.ok)
        .map(([name, r]) => r.reason ?? name);
      return c.json({ status: report.status, reasons }, report.status === 'error' ? 503 : 200);
    });
}
