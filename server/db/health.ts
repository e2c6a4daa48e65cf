import type { CheckResult } from '../kernel/health.ts';
import type { Sqlite } from './client.ts';
import { pendingMigrations } from './migrate.ts';
import type { Migration } from './migrations.ts';

/** Readiness of the database: it answers, and its schema is this build's. */
export function databaseCheck(sqlite: Sqlite, migrations: readonly Migration[]): () => CheckResult {
  return () => {
    try {
      sqlite.prepare('SELECT 1').get();
    } catch (err) {
      return { ok: false, reason: 'database_unreachable', message: (err as Error).message };
    }
    try {
      const pending = pendingMigrations(sqlite, migrations);
      if (pending.length > 0) return { ok: false, reason: 'migrations_pending', message: `${pending.length} pending` };
    } catch (err) {
      return { ok: false, reason: 'schema_unknown', message: (err as Error).message };
    }
    return { ok: true };
  };
}

/** Size of the database file in bytes (pages × page size). */
export function databaseSizeBytes(sqlite: Sqlite): number {
  const pages = sqlite.pragma('page_count', { simple: true }) as number;
  const size = sqlite.pragma('page_size', { simple: true }) as number;
  return pages * size;
}
