import type { AuditEntry } from './audit.types.ts';

/** An audit entry as the API returns it and the page shows it. */
export interface AuditEntryView {
  id: number;
  at: Date;
  actorId: string | null;
  actorLabel: string;
  action: string;
  outcome: 'success' | 'failure';
  target: string | null;
  ip: string | null;
  details: Record<string, unknown> | null;
}

/** Shapes an audit entry, field by field. */
export function publicAuditEntry(e: AuditEntry): AuditEntryView {
  return {
    id: e.id,
    at: e.at,
    actorId: e.actorId,
    actorLabel: e.actorLabel,
    action: e.action,
    outcome: e.outcome,
    target: e.target,
    ip: e.ip,
    details: e.details,
  };
}
