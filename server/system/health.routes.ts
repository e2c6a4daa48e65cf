import { Hono, type Context } from 'hono';
import type { Identity } from '../auth/identity.service.ts';
import type { HealthService } from '../kernel/health.ts';
import { readSessionCookie } from '../http/cookies.ts';
import { observerAccess } from '../http/observer.ts';
import type { AppEnv } from '../http/types.ts';

/**
 * `/health` (summary), `/health/live` (the process answers) and
 * `/health/ready`. Not-ready answers are 503; a `degraded` report (only
 * non-critical checks failing) is still 200. `/health/ready` names every
 * check, with messages that describe the installation, only to admins
 * (session), loopback peers and the metrics token; anyone else gets the
 * status alone.
 */
export function healthRoutes(health: HealthService, o: { identity: Identity; metricsToken: string | undefined }) {
  const showsChecks = (c: Context<AppEnv>) => {
    const access = observerAccess(c, o.metricsToken);
    if (access === 'token' || access === 'loopback') return true;
    try {
      return o.identity.sessions.authenticate(readSessionCookie(c))?.user.role === 'admin';
    } catch {
      return false; // the database is what is failing: the status says so
    }
  };
  return new Hono<AppEnv>()
    .get('/live', (c) => c.json({ status: 'ok' }))
    .get('/ready', async (c) => {
      const report = await health.readiness();
      const code = report.status === 'error' ? 503 : 200;
      return c.json(showsChecks(c) ? report : { status: report.status }, code);
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
