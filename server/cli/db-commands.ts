import { join, resolve } from 'node:path';
import { loadConfig, type Env } from '../config.ts';
import { backupDatabase } from '../db/backup.ts';
import { openDatabase } from '../db/client.ts';
import { withDataDirLock } from '../db/data-lock.ts';
import { bundledMigrations } from '../db/migrations.ts';
import { restoreDatabase } from '../db/restore.ts';
import { AppError } from '../kernel/errors.ts';
import { createLogger } from '../kernel/log.ts';
import type { Command, CommandIo } from './command.ts';
import { openMigratedDatabase } from './database.ts';

async function runMigrate(_args: string[], env: Env, { out }: CommandIo): Promise<number> {
  const config = loadConfig(env);
  const log = createLogger({ level: 'warn' });
  const count = await withDataDirLock(config.dataDir, 'migrate', async () => {
    const { db } = await openMigratedDatabase(config, log);
    try {
      return db.sqlite.prepare('SELECT count(*) AS n FROM __onsite_migrations').get() as { n: number };
    } finally {
      db.close();
    }
  });
  out(`database ${config.dbPath} is at migration ${count.n} of ${bundledMigrations().length}`);
  return 0;
}

async function runBackup([file]: string[], env: Env, { out }: CommandIo): Promise<number> {
  const config = loadConfig(env);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dest = resolve(file ?? join(config.dataDir, 'backups', `onsite-${stamp}.db`));
  const db = openDatabase(config.dbPath, { dataDir: config.dataDir, mustExist: true });
  try {
    const result = await backupDatabase(db.sqlite, dest, config.dataDir);
    out(`backup written: ${result.path}\nsha256: ${result.sha256}`);
    return 0;
  } finally {
    db.close();
  }
}

async function runRestore([file]: string[], env: Env, { out }: CommandIo): Promise<number> {
  if (!file) throw new AppError('usage', 'restore needs the backup FILE');
  const config = loadConfig(env);
  const result = await restoreDatabase(resolve(file), {
    dbPath: config.dbPath,
    dataDir: config.dataDir,
    migrations: bundledMigrations(),
  });
  out(`restored ${file} into ${config.dbPath}`);
  if (result.safetyCopy) out(`the previous database was saved as ${result.safetyCopy}`);
  return 0;
}

/** `onsite migrate`: applies pending migrations and reports them, holding the data folder (no server runs meanwhile). */
export const migrateCommand: Command = {
  name: 'migrate',
  usage: [{ synopsis: 'migrate', summary: 'apply pending database migrations and exit (server stopped)' }],
  run: runMigrate,
};

/** `onsite backup [FILE]`: an online, verified backup with a `.sha256` beside it. */
export const backupCommand: Command = {
  name: 'backup',
  usage: [{ synopsis: 'backup [FILE]', summary: 'write a verified online backup (default: DATA/backups/)' }],
  run: runBackup,
};

/** `onsite restore FILE`: replaces the database with a verified backup (server stopped). */
export const restoreCommand: Command = {
  name: 'restore',
  usage: [{ synopsis: 'restore FILE', summary: 'replace the database with a verified backup (server stopped)' }],
  run: runRestore,
};
