import { join } from 'node:path';
import type { Config } from '../config.ts';
import { openDatabase, type Db } from '../db/client.ts';
import { migrate } from '../db/migrate.ts';
import { bundledMigrations, type Migration } from '../db/migrations.ts';
import { restrictFolder } from '../kernel/private-files.ts';
import type { Log } from '../kernel/log.ts';

/** An open, migrated database and the migrations of this build. */
export interface OpenedDatabase {
  db: Db;
  migrations: Migration[];
}

/**
 * Opens the configured database and applies pending migrations (backing up
 * first). Backups left by an older release are narrowed to 0600 on the way,
 * as the database files are when opened.
 */
export async function openMigratedDatabase(config: Config, log: Log): Promise<OpenedDatabase> {
  const migrations = bundledMigrations();
  restrictFolder(join(config.dataDir, 'backups'));
  const db = openDatabase(config.dbPath, { dataDir: config.dataDir });
  try {
    const result = await migrate(db.sqlite, migrations, join(config.dataDir, 'backups'));
    if (result.applied.length > 0) {
      log.info({ applied: result.applied, backup: result.backupPath }, 'database migrated');
    }
  } catch (err) {
    db.close();
    throw err;
  }
  return { db, migrations };
}
