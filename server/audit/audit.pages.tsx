/** @jsxImportSource hono/jsx */
import { Hono } from 'hono';
import { callerOf } from '../http/middleware/guards.ts';
import type { AppEnv } from '../http/types.ts';
import { parseForm } from '../ui/forms.ts';
import { pageAdmin } from '../ui/guards.ts';
import { AuditPage } from './audit.page.tsx';
import { auditForm } from './audit.schemas.ts';
import type { AuditService } from './audit.service.ts';
import { publicAuditEntry } from './audit.views.ts';

/** `/admin/audit`: the audit log with filters (admins only). */
export function auditPages(audit: AuditService) {
  return new Hono<AppEnv>().use(pageAdmin).get('/', (c) => {
    const q = parseForm(auditForm, c.req.query());
    const entries = audit.list({
      action: q.action || undefined,
      outcome: q.outcome || undefined,
      from: q.from && !Number.isNaN(Date.parse(q.from)) ? new Date(q.from) : undefined,
      to: q.to && !Number.isNaN(Date.parse(q.to)) ? new Date(q.to.length === 10 ? `${q.to}T23:59:59.999Z` : q.to) : undefined,
      limit: 500,
    });
    return c.html(
      <AuditPage
        caller={callerOf(c)}
        entries={entries.map(publicAuditEntry)}
        query={{ action: q.action ?? '', outcome: q.outcome ?? '', from: q.from ?? '', to: q.to ?? '' }}
      />,
    );
  });
}
