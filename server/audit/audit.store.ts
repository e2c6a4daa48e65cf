import { and, desc, eq, gte, lte, type SQL } from 'drizzle-orm';
import type { Orm } from '../db/client.ts';
import { auditLog } from '../db/schema/index.ts';
import type { AuditEntry, AuditFilter, NewAuditEntry } from './audit.types.ts';

/** The audit log: append and query; nothing updates or deletes entries. */
export function createAuditStore(orm: Orm) {
  return {
    append: (e: NewAuditEntry): void => {
      orm.insert(auditLog).values(e).run();
    },
    query: (f: AuditFilter): AuditEntry[] => {
      const where: SQL[] = [];
      if (f.action) where.push(eq(auditLog.action, f.action));
      if (f.actorId) where.push(eq(auditLog.actorId, f.actorId));
      if (f.outcome) where.push(eq(auditLog.outcome, f.outcome));
      if (f.from) where.push(gte(auditLog.at, f.from));
      if (f.to) where.push(lte(auditLog.at, f.to));
      return orm
        .select()
        .from(auditLog)
        .where(and(...where))
        .orderBy(desc(auditLog.id))
        .limit(f.limit ?? 1000)
        .all();
    },
  };
}

/** The audit store. */
export type AuditStore = ReturnType<typeof createAuditStore>;
