import { Hono } from 'hono';
import type { AuditService } from './audit.service.ts';
import { requireAdmin } from '../http/middleware/guards.ts';
import { auditQuery } from './audit.schemas.ts';
import { publicAuditEntry } from './audit.views.ts';
import type { AppEnv } from '../http/types.ts';
import { queryParams } from '../http/validate.ts';

/** `GET /api/audit`: the audit log, filtered, as JSON or CSV (admins only). */
export function auditRoutes(audit: AuditService) {
  return new Hono<AppEnv>().use(requireAdmin).get('/', (c) => {
    const q = queryParams(c, auditQuery);
    const entries = audit.list({
      action: q.action,
      actorId: q.actor,
      outcome: q.outcome,
      from: q.from ? new Date(q.from) : undefined,
      to: q.to ? new Date(q.to.length === 10 ? `${q.to}T23:59:59.999Z` : q.to) : undefined,
      limit: q.limit,
    });
    if (q.format === 'csv') {
      c.header('content-type', 'text/csv; charset=utf-8');
      c.header('content-disposition', 'attachment; filename="onsite-audit.csv"');
      return c.body(audit.toCsv(entries));
    }
    return c.json({ entries: entries.map(publicAuditEntry) });
  });
}
