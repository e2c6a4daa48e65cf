import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { backupDatabase, checksumPath } from './backup.ts';
import type { Sqlite } from './client.ts';

const DAILY = /^daily-(\d{4}-\d{2}-\d{2})\.db$/;

/** What a daily backup run did. */
export interface DailyBackupResult {
  created?: string;
  removed: string[];
}

/**
 * Makes today's backup (`daily-YYYY-MM-DD.db`, UTC) if there is none yet,
 * then removes daily backups older than `retentionDays`. Backups made before
 * migrations and restores are left for the operator.
 */
export async function dailyBackup(sqlite: Sqlite, dir: string, dataDir: string, now: Date, retentionDays: number): Promise<DailyBackupResult> {
  const today = now.toISOString().slice(0, 10);
  const file = join(dir, `daily-${today}.db`);
  let created: string | undefined;
  if (!existsSync(file)) created = (await backupDatabase(sqlite, file, dataDir)).path;
  const oldest = new Date(Date.parse(`${today}T00:00:00Z`) - retentionDays * 86_400_000).toISOString().slice(0, 10);
  const removed: string[] = [];
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    const m = DAILY.exec(name);
    if (m && m[1]! < oldest) {
      rmSync(join(dir, name), { force: true });
      rmSync(checksumPath(join(dir, name)), { force: true });
      removed.push(name);
    }
  }
  return created ? { created, removed } : { removed };
}
