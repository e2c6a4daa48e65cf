import { join } from 'node:path';
import { AppError } from '../kernel/errors.ts';
import { backupDatabase } from './backup.ts';
import { APPLICATION_ID, type Sqlite } from './client.ts';
import type { Migration } from './migrations.ts';

/** Name of the table recording applied migrations. */
export const MIGRATIONS_TABLE = '__onsite_migrations';

/** What {@link migrate} did. */
export interface MigrateResult {
  applied: string[];
  /** Backup written before migrating a database that held data. */
  backupPath?: string;
}

interface AppliedRow {
  id: number;
  tag: string;
  hash: string;
}

/** Tells whether the database holds any table of ours (as opposed to a fresh file). */
export function hasUserTables(sqlite: Sqlite): boolean {
  const row = sqlite.prepare(`SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).get() as { n: number };
  return row.n > 0;
}

/** Migrations recorded as applied, oldest first. */
export function appliedMigrations(sqlite: Sqlite): AppliedRow[] {
  const exists = sqlite.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?`).get(MIGRATIONS_TABLE);
  if (!exists) return [];
  return sqlite.prepare(`SELECT id, tag, hash FROM ${MIGRATIONS_TABLE} ORDER BY id`).all() as AppliedRow[];
}

/**
 * Checks that the database belongs to Onsite and that its schema is one this
 * build knows; returns the migrations still to apply. A database written by
 * a newer build is refused rather than guessed at.
 */
export function pendingMigrations(sqlite: Sqlite, known: readonly Migration[]): Migration[] {
  const appId = sqlite.pragma('application_id', { simple: true }) as number;
  if (appId !== APPLICATION_ID && (appId !== 0 || hasUserTables(sqlite))) {
    throw new AppError('foreign_database', 'this file is not an Onsite database; refusing to touch it');
  }
  const applied = appliedMigrations(sqlite);
  applied.forEach((row, i) => {
    const mine = known[i];
    if (!mine) {
      throw new AppError(
        'schema_newer',
        `the database schema (migration ${row.tag}) is newer than this build knows (latest ${known.at(-1)?.tag ?? 'none'}); ` +
          'run the newer Onsite release or restore a backup made by this one',
        { tag: row.tag },
      );
    }
    if (mine.tag !== row.tag || mine.hash !== row.hash) {
      throw new AppError('schema_mismatch', `migration ${row.tag} recorded in the database differs from this build's ${mine.tag}`, {
        tag: row.tag,
      });
    }
  });
  return known.slice(applied.length);
}

/**
 * Brings the schema up to date. Pending migrations run once each, together
 * with their records, in one transaction; foreign keys are checked before
 * commit. A
 * database that already holds data is backed up first into `backupDir`.
 */
export async function migrate(sqlite: Sqlite, known: readonly Migration[], backupDir: string): Promise<MigrateResult> {
  const pending = pendingMigrations(sqlite, known);
  if (pending.length === 0) return { applied: [] };

  let backupPath: string | undefined;
  if (hasUserTables(sqlite)) {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    backupPath = join(backupDir, `pre-migrate-${stamp}-${pending[0]!.tag}.db`);
    await backupDatabase(sqlite, backupPath);
  }

  // Table rebuilds in SQLite need foreign keys off; the pragma is ignored
  // inside a transaction, so it is switched off around it and the keys are
  // checked before commit instead. All pending steps share one transaction:
  // an update lands whole or not at all.
  const applied: string[] = [];
  let current = pending[0]!.tag;
  const run = sqlite.transaction(() => {
    sqlite.exec(
      `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (id INTEGER PRIMARY KEY, tag TEXT NOT NULL UNIQUE, hash TEXT NOT NULL, applied_at INTEGER NOT NULL)`,
    );
    sqlite.pragma(`application_id = ${APPLICATION_ID}`);
    const record = sqlite.prepare(`INSERT INTO ${MIGRATIONS_TABLE} (tag, hash, applied_at) VALUES (?, ?, ?)`);
    for (const m of pending) {
      current = m.tag;
      sqlite.exec(m.sql);
      record.run(m.tag, m.hash, Date.now());
      applied.push(m.tag);
    }
    const broken = sqlite.pragma('foreign_key_check') as unknown[];
    if (broken.length > 0) throw new Error(`${broken.length} rows violate foreign keys`);
  });
  sqlite.pragma('foreign_keys = OFF');
  try {
    run.immediate();
  } catch (err) {
    throw new AppError('migration_failed', `migration ${current} failed; nothing was changed: ${(err as Error).message}`, {
      tag: current,
      backupPath,
    });
  } finally {
    sqlite.pragma('foreign_keys = ON');
  }
  return { applied, ...(backupPath ? { backupPath } : {}) };
}
