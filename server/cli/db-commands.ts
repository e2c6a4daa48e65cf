import { join, resolve } from 'node:path';
import { loadConfig, type Env } from '../config.ts';
import { backupDatabase } from '../db/backup.ts';
import { openDatabase } from '../db/client.ts';
import { withDataDirLock } from '../db/data-lock.ts';
import { bundledMigrations } from '../db/migrations.ts';
import { restoreDatabase } from '../db/restore.ts';
import { createLogger } from '../log.ts';
import { openMigratedDatabase } from './database.ts';

/** Options shared by the database commands. */
export interface DbCommandOptions {
  env: Env;
  out: (line: string) => void;
}

/** `onsite migrate`: applies pending migrations and reports them, holding the data folder (no server runs meanwhile). */
export async function runMigrate({ env, out }: DbCommandOptions): Promise<void> {
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
}

/** `onsite backup [FILE]`: an online, verified backup with a `.sha256` beside it. */
export async function runBackup({ env, out }: DbCommandOptions, file?: string): Promise<void> {
  const config = loadConfig(env);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dest = resolve(file ?? join(config.dataDir, 'backups', `onsite-${stamp}.db`));
  const db = openDatabase(config.dbPath, { dataDir: config.dataDir, mustExist: true });
  try {
    const result = await backupDatabase(db.sqlite, dest, config.dataDir);
    out(`backup written: ${result.path}\nsha256: ${result.sha256}`);
  } finally {
    db.close();
  }
}

/** `onsite restore FILE`: replaces the database with a verified backup (server stopped). */
export async function runRestore({ env, out }: DbCommandOptions, file: string): Promise<void> {
  const config = loadConfig(env);
  const result = await restoreDatabase(resolve(file), {
    dbPath: config.dbPath,
    dataDir: config.dataDir,
    migrations: bundledMigrations(),
  });
  out(`restored ${file} into ${config.dbPath}`);
  if (result.safetyCopy) out(`the previous database was saved as ${result.safetyCopy}`);
}
