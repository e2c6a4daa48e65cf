import { chmodSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMigratedDatabase } from '../../../server/cli/database.ts';
import { backupCommand, restoreCommand } from '../../../server/cli/db-commands.ts';
import { captureIo } from '../../helpers/cli.ts';
import { startServer } from '../../../server/cli/serve.ts';
import { loadConfig, type Env } from '../../../server/config.ts';
import { openSqlite } from '../../../server/db/client.ts';
import { dailyBackup } from '../../../server/db/daily-backup.ts';
import { migrate } from '../../../server/db/migrate.ts';
import { bundledMigrations } from '../../../server/db/migrations.ts';
import { createLogger } from '../../../server/kernel/log.ts';
import { tempDir, validEnv } from '../../helpers/env.ts';
import { captureLog } from '../../helpers/server.ts';

const tmp = tempDir();
// The usual umask: without care every file here would come out 0644.
let umask = 0;
beforeAll(() => void (umask = process.umask(0o022)));
afterAll(() => {
  process.umask(umask);
  tmp.cleanup();
});

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);
const modes = (paths: string[]) => Object.fromEntries(paths.map((p) => [p.replace(`${tmp.dir}/`, ''), modeOf(p)]));
const allPrivate = (paths: string[]) => Object.fromEntries(paths.map((p) => [p.replace(`${tmp.dir}/`, ''), '600']));
const backups = (dir: string) => readdirSync(join(dir, 'backups')).map((f) => join(dir, 'backups', f));
const env = (dir: string): Env => validEnv(dir, { PORT: '0', HOST: '127.0.0.1' });

describe('the database, its WAL and every backup are mode 0600', () => {
  it('serve creates the database, -wal, -shm, lock and PID files 0600', async () => {
    const dir = join(tmp.dir, 'fresh');
    const server = await startServer(env(dir), { log: captureLog([]).log });
    try {
      const files = ['onsite.db', 'onsite.db-wal', 'onsite.db-shm', 'onsite.lock', 'onsite.pid'].map((f) => join(dir, f));
      expect(files.every(existsSync)).toBe(true);
      expect(modes(files)).toEqual(allPrivate(files));
      expect(modeOf(dir)).toBe('700');
    } finally {
      await server.stop();
    }
  });

  it('manual, daily, pre-migration and pre-restore backups, and the restored database, are 0600', async () => {
    const dir = join(tmp.dir, 'backups');
    const e = env(dir);
    // A database one migration behind, holding data: opening it migrates, after a backup.
    const known = bundledMigrations();
    const old = openSqlite(join(dir, 'onsite.db'), { dataDir: dir });
    await migrate(old, known.slice(0, -1), join(dir, 'backups'));
    old.prepare(`INSERT INTO app_meta (key, value) VALUES ('k', 'v')`).run();
    old.close();
    const { db } = await openMigratedDatabase(loadConfig(e), createLogger({ level: 'silent' }));
    await dailyBackup(db.sqlite, join(dir, 'backups'), dir, new Date(), 14);
    db.close();
    await backupCommand.run([], e, captureIo());
    const manual = backups(dir).find((f) => /onsite-.*\.db$/.test(f))!;
    chmodSync(manual, 0o644); // a copy the operator loosened: the restored database must not inherit its mode
    await restoreCommand.run([manual], e, captureIo());

    const names = backups(dir).map((f) => f.replace(`${dir}/backups/`, ''));
    for (const kind of [/^pre-migrate-.*\.db$/, /^daily-.*\.db$/, /^onsite-.*\.db$/, /^pre-restore-.*\.db$/])
      expect(
        names.some((f) => kind.test(f)),
        `${kind}`,
      ).toBe(true);
    const files = [...backups(dir).filter((f) => f !== manual), join(dir, 'onsite.db')];
    expect(modes(files)).toEqual(allPrivate(files));
    expect(modeOf(join(dir, 'backups'))).toBe('700');
  });

  it('narrows the files an older release left readable (database, WAL, backups) when serve starts', async () => {
    const dir = join(tmp.dir, 'older');
    const e = env(dir);
    await (await startServer(e, { log: captureLog([]).log })).stop();
    await backupCommand.run([], e, captureIo());
    const db = openSqlite(join(dir, 'onsite.db'), { dataDir: dir, mustExist: true });
    db.prepare(`INSERT INTO app_meta (key, value) VALUES ('wal', 'frame')`).run(); // leaves a -wal behind while open
    const loose = [join(dir, 'onsite.db'), join(dir, 'onsite.db-wal'), join(dir, 'onsite.db-shm'), ...backups(dir)];
    for (const f of loose) chmodSync(f, 0o644);
    chmodSync(join(dir, 'backups'), 0o755);
    const server = await startServer(e, { log: captureLog([]).log });
    try {
      expect(modes(loose)).toEqual(allPrivate(loose));
      expect(modeOf(join(dir, 'backups'))).toBe('700');
    } finally {
      await server.stop();
      db.close();
    }
  });
});
