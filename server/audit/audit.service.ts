import type { Clock } from '../kernel/clock.ts';
import { csvText } from '../kernel/csv.ts';
import type { AuditStore } from './audit.store.ts';
import type { AuditEntry, AuditFilter } from './audit.types.ts';

/** Who did something: a user, or a label such as `cli` or `anonymous`. */
export interface Actor {
  id?: string | undefined;
  label: string;
}

/** One event to record. */
export interface AuditEvent {
  actor: Actor;
  action: string;
  outcome?: 'success' | 'failure';
  target?: string | undefined;
  ip?: string | undefined;
  /** Extra facts; never a secret. */
  details?: Record<string, unknown>;
}

/** Columns of the CSV export, in order. */
const CSV_COLUMNS = ['id', 'at', 'actor_id', 'actor', 'action', 'outcome', 'target', 'ip', 'details'] as const;

/** Records security events and exports them. */
export function createAuditService(store: AuditStore, clock: Clock) {
  return {
    record(e: AuditEvent): void {
      store.append({
        at: new Date(clock()),
        actorId: e.actor.id ?? null,
        actorLabel: e.actor.label,
        action: e.action,
        outcome: e.outcome ?? 'success',
        target: e.target ?? null,
        ip: e.ip ?? null,
        details: e.details ?? null,
      });
    },
    list: (filter: AuditFilter): AuditEntry[] => store.query(filter),
    /** The filtered entries as CSV text (RFC 4180, formula-safe). */
    toCsv(entries: AuditEntry[]): string {
      return csvText(
        CSV_COLUMNS,
        entries.map((e) => [e.id, e.at.toISOString(), e.actorId, e.actorLabel, e.action, e.outcome, e.target, e.ip, e.details]),
      );
    },
  };
}

/** The audit service. */
export type AuditService = ReturnType<typeof createAuditService>;
