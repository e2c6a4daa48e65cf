import { randomBytes } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, existsSync, fsyncSync, openSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../kernel/errors.ts';
import { backupDatabase, fileSha256, verifyBackup } from './backup.ts';
import { openSqlite } from './client.ts';
import { withDataDirLock } from './data-lock.ts';
import { pendingMigrations } from './migrate.ts';
import type { Migration } from './migrations.ts';

/** Options for {@link restoreDatabase}. */
export interface RestoreOptions {
  dbPath: string;
  dataDir: string;
  /** Migrations of this build: a backup from a newer schema is refused. */
  migrations: readonly Migration[];
}

// A copy made with mode 0600 from its first byte (copyFile would give it the
// source's mode) and flushed before it replaces the live database.
async function privateCopy(from: string, to: string): Promise<void> {
  const fd = openSync(to, 'wx', 0o600);
  try {
    await pipeline(createReadStream(from), createWriteStream('', { fd, autoClose: false }));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces the live database with a verified backup, holding the data
 * folder's lock throughout: while a server (or another restore) holds it,
 * this fails with `data_dir_locked` and changes nothing, and no server can
 * start until it is done. The current database is first saved under
 * `backups/pre-restore-*.db`; the new file is staged beside the live one and
 * swapped in with one atomic rename, so a failure at any step leaves the
 * live database as it was.
 */
export function restoreDatabase(file: string, o: RestoreOptions): Promise<{ safetyCopy?: string }> {
  return withDataDirLock(o.dataDir, 'restore', () => restoreLocked(file, o));
}

async function restoreLocked(file: string, o: RestoreOptions): Promise<{ safetyCopy?: string }> {
  await verifyBackup(file, o.dataDir);
  const probe = openSqlite(file, { dataDir: o.dataDir, readonly: true });
  try {
    pendingMigrations(probe, o.migrations);
  } finally {
    probe.close();
  }

  const staged = `${o.dbPath}.restore-${randomBytes(6).toString('hex')}`;
  try {
    await privateCopy(file, staged);
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
