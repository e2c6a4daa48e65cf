import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../lib/errors.ts';
import { runningPid } from '../lib/pidfile.ts';
import { backupDatabase, fileSha256, verifyBackup } from './backup.ts';
import { openSqlite } from './client.ts';
import { pendingMigrations } from './migrate.ts';
import type { Migration } from './migrations.ts';

/** Options for {@link restoreDatabase}. */
export interface RestoreOptions {
  dbPath: string;
  dataDir: string;
  /** Migrations of this build: a backup from a newer schema is refused. */
  migrations: readonly Migration[];
  /** PID file of a running server; restore refuses while it is alive. */
  pidFile: string;
}

/**
 * Replaces the live database with a verified backup. The current database is
 * first saved under `backups/pre-restore-*.db`; the new file is staged beside
 * the live one and swapped in with one atomic rename, so a failure at any
 * step leaves the live database as it was.
 */
export async function restoreDatabase(file: string, o: RestoreOptions): Promise<{ safetyCopy?: string }> {
  const pid = runningPid(o.pidFile);
  if (pid !== undefined && pid !== process.pid) {
    throw new AppError('server_running', `the server (pid ${pid}) is running on this data folder; stop it before restoring`);
  }
  await verifyBackup(file, o.dataDir);
  const probe = openSqlite(file, { dataDir: o.dataDir, readonly: true });
  try {
    pendingMigrations(probe, o.migrations);
  } finally {
    probe.close();
  }

  const staged = `${o.dbPath}.restore-${randomBytes(6).toString('hex')}`;
  try {
    copyFileSync(file, staged);
    if ((await fileSha256(staged)) !== (await fileSha256(file))) {
      throw new AppError('backup_invalid', 'the staged copy differs from the backup (disk error?); nothing was changed');
    }
    let safetyCopy: string | undefined;
    if (existsSync(o.dbPath)) {
      const live = openSqlite(o.dbPath, { dataDir: o.dataDir, mustExist: true });
      try {
        const stamp = new Date().toISOString().replace(/[:.]/g, '-');
        safetyCopy = (await backupDatabase(live, join(o.dataDir, 'backups', `pre-restore-${stamp}.db`), o.dataDir)).path;
        // Fold the WAL into the file so no frame of the old database can be
        // replayed onto the restored one.
        live.pragma('wal_checkpoint(TRUNCATE)');
      } finally {
        live.close();
      }
    }
    rmSync(`${o.dbPath}-wal`, { force: true });
    rmSync(`${o.dbPath}-shm`, { force: true });
    renameSync(staged, o.dbPath);
    return safetyCopy ? { safetyCopy } : {};
  } finally {
    rmSync(staged, { force: true });
  }
}
