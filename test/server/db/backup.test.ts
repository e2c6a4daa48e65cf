import { appendFileSync, copyFileSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { backupDatabase, verifyBackup } from '../../../server/db/backup.ts';
import { openSqlite } from '../../../server/db/client.ts';
import { lockDataDir } from '../../../server/db/data-lock.ts';
import { migrate } from '../../../server/db/migrate.ts';
import { bundledMigrations } from '../../../server/db/migrations.ts';
import { restoreDatabase } from '../../../server/db/restore.ts';
import { sha256Hex } from '../../../server/kernel/secrets.ts';
import { tempDir } from '../../helpers/env.ts';
import { rejectionCode as code } from '../../helpers/errors.ts';

const tmp = tempDir();
afterAll(tmp.cleanup);
let dir = '';
let dbPath = '';
let n = 0;

const rows = (path: string) => {
  const db = openSqlite(path, { dataDir: dir, mustExist: true });
  try {
    return db.prepare('SELECT key, value FROM app_meta ORDER BY key').all() as Array<{ key: string; value: string }>;
  } finally {
    db.close();
  }
};

async function seed(count: number): Promise<void> {
  const db = openSqlite(dbPath, { dataDir: dir });
  await migrate(db, bundledMigrations(), join(dir, 'backups'));
  const insert = db.prepare('INSERT INTO app_meta (key, value) VALUES (?, ?)');
  db.transaction(() => {
    for (let i = 0; i < count; i++) insert.run(`k${String(i).padStart(5, '0')}`, `value ${i} ${'x'.repeat(i % 50)}`);
  })();
  db.close();
}

async function backup(name: string): Promise<string> {
  const db = openSqlite(dbPath, { dataDir: dir, mustExist: true });
  try {
    return (await backupDatabase(db, join(dir, name), dir)).path;
  } finally {
    db.close();
  }
}

const restoreOpts = () => ({ dbPath, dataDir: dir, migrations: bundledMigrations() });

beforeEach(async () => {
  dir = join(tmp.dir, `case-${++n}`);
  dbPath = join(dir, 'onsite.db');
  await seed(2000);
});

describe('backup and restore', () => {
  it('round trip keeps every row', async () => {
    const expected = rows(dbPath);
    const file = await backup('b.db');
    expect(readFileSync(`${file}.sha256`, 'utf8')).toMatch(/^[0-9a-f]{64} {2}b\.db\n$/);
    expect(await code(verifyBackup(file, dir))).toBe('accepted');

    // Change the live database, then restore: the backup's rows come back.
    const live = openSqlite(dbPath, { dataDir: dir, mustExist: true });
    live.exec(`DELETE FROM app_meta WHERE key > 'k01000'; INSERT INTO app_meta (key, value) VALUES ('later', 'x')`);
    live.close();
    const result = await restoreDatabase(file, restoreOpts());
    expect(rows(dbPath)).toEqual(expected);
    expect(result.safetyCopy).toMatch(/\/backups\/pre-restore-[^/]+$/);
    expect(existsSync(result.safetyCopy!)).toBe(true);
    expect(rows(result.safetyCopy!)).toContainEqual({ key: 'later', value: 'x' });
  });

  it('backs up a database that another connection is writing', async () => {
    const before = rows(dbPath);
    const writer = openSqlite(dbPath, { dataDir: dir, mustExist: true });
    const pending = backup('during.db');
    writer.prepare(`INSERT INTO app_meta (key, value) VALUES ('concurrent', 'y')`).run();
    const file = await pending;
    writer.close();
    expect(await code(verifyBackup(file, dir))).toBe('accepted');
    // A consistent copy: every row from before the backup, and the concurrent write either whole or not at all.
    const after = [...before, { key: 'concurrent', value: 'y' }].sort((a, b) => (a.key < b.key ? -1 : 1));
    expect([before, after]).toContainEqual(rows(file));
  });

  const tamperings: Array<[string, (file: string) => void]> = [
    ['truncated', (f) => writeFileSync(f, readFileSync(f).subarray(0, 8192))],
    [
      'one byte altered',
      (f) => {
        const b = readFileSync(f);
        b[b.length - 100] = b[b.length - 100]! ^ 0xff;
        writeFileSync(f, b);
      },
    ],
    ['appended to', (f) => appendFileSync(f, 'junk')],
    ['checksum missing', (f) => writeFileSync(`${f}.sha256`, '')],
  ];

  it.each(tamperings)('refuses a backup that was %s and leaves the live database untouched', async (_name, tamper) => {
    const file = await backup('t.db');
    const live = openSqlite(dbPath, { dataDir: dir, mustExist: true });
    live.prepare(`INSERT INTO app_meta (key, value) VALUES ('after-backup', 'z')`).run();
    live.close();
    const before = rows(dbPath);
    const liveHash = sha256Hex(readFileSync(dbPath));
    tamper(file);
    expect(await code(restoreDatabase(file, restoreOpts()))).toBe('backup_invalid');
    expect(rows(dbPath)).toEqual(before);
    expect(sha256Hex(readFileSync(dbPath))).toBe(liveHash);
    expect(readdirSync(dir).filter((f) => f.includes('.restore-'))).toEqual([]);
  });

  it('refuses a corrupt file whose checksum was recomputed to match', async () => {
    const file = await backup('c.db');
    const b = readFileSync(file);
    // Give every page after the first an invalid b-tree page type.
    for (let page = 4096; page < b.length; page += 4096) b[page] = 0x7f;
    writeFileSync(file, b);
    writeFileSync(`${file}.sha256`, `${sha256Hex(b)}  c.db\n`);
    expect(await code(restoreDatabase(file, restoreOpts()))).toBe('backup_invalid');
  });

  it('refuses a foreign SQLite file even with a valid checksum', async () => {
    const foreign = join(dir, 'foreign.db');
    const other = openSqlite(foreign, { dataDir: dir });
    other.exec('CREATE TABLE x (y); INSERT INTO x VALUES (1)');
    other.pragma('journal_mode = DELETE');
    other.close();
    writeFileSync(`${foreign}.sha256`, `${sha256Hex(readFileSync(foreign))}  foreign.db\n`);
    expect(await code(restoreDatabase(foreign, restoreOpts()))).toBe('backup_invalid');
  });

  it('refuses while a server holds the data folder, and changes nothing', async () => {
    const file = await backup('r.db');
    const liveHash = sha256Hex(readFileSync(dbPath));
    const lock = lockDataDir(dir, 'serve');
    try {
      expect(await code(restoreDatabase(file, restoreOpts()))).toBe('data_dir_locked');
    } finally {
      lock.release();
    }
    expect(sha256Hex(readFileSync(dbPath))).toBe(liveHash);
    expect(existsSync(join(dir, 'backups')) ? readdirSync(join(dir, 'backups')).filter((f) => f.startsWith('pre-restore-')) : []).toEqual([]);
  });

  it('restores into an empty data folder', async () => {
    const file = await backup('e.db');
    const expected = rows(dbPath);
    const target = join(tmp.dir, `empty-${n}`, 'onsite.db');
    (await import('node:fs')).mkdirSync(join(tmp.dir, `empty-${n}`));
    copyFileSync(file, `${file}.copy`);
    await restoreDatabase(file, { ...restoreOpts(), dbPath: target });
    expect(rows(target)).toEqual(expected);
  });
});
