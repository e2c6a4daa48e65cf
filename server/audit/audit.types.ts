import type { auditLog } from '../db/schema/index.ts';

/** An audit entry. */
export type AuditEntry = typeof auditLog.$inferSelect;

/** A new audit entry. */
export type NewAuditEntry = typeof auditLog.$inferInsert;

/** Filters of the audit view and export. */
export interface AuditFilter {
  action?: string | undefined;
  actorId?: string | undefined;
  outcome?: 'success' | 'failure' | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  limit?: number | undefined;
}
