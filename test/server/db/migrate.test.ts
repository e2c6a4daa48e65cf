import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqlite, type Sqlite } from '../../../server/db/client.ts';
import { appliedMigrations, migrate, MIGRATIONS_TABLE } from '../../../server/db/migrate.ts';
import { bundledMigrations, type Migration } from '../../../server/db/migrations.ts';
import { isAppError } from '../../../server/kernel/errors.ts';
import { sha256Hex } from '../../../server/kernel/secrets.ts';
import { tempDir } from '../../helpers/env.ts';

const tmp = tempDir();
afterAll(tmp.cleanup);
let n = 0;

function fresh(): { db: Sqlite; dir: string } {
  const dir = join(tmp.dir, `case-${++n}`);
  return { db: openSqlite(join(dir, 'onsite.db'), { dataDir: dir }), dir };
}

const step = (tag: string, sql: string): Migration => ({ tag, sql, hash: sha256Hex(sql) });
const schemaOf = (db: Sqlite) => db.prepare(`SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY name`).all();

async function rejection(p: Promise<unknown>) {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('migrations', () => {
  it('migrates a fresh database with the bundled migrations, without a backup', async () => {
    const { db, dir } = fresh();
    const result = await migrate(db, bundledMigrations(), join(dir, 'backups'));
    expect(result.applied).toEqual(bundledMigrations().map((m) => m.tag));
    expect(result.backupPath).toBeUndefined();
    expect(existsSync(join(dir, 'backups'))).toBe(false);
    expect(db.prepare(`SELECT name FROM sqlite_schema WHERE name = 'app_meta'`).get()).toEqual({ name: 'app_meta' });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.close();
  });

  it('applies nothing on a second start', async () => {
    const { db, dir } = fresh();
    await migrate(db, bundledMigrations(), join(dir, 'backups'));
    const again = await migrate(db, bundledMigrations(), join(dir, 'backups'));
    expect(again.applied).toEqual([]);
    expect(appliedMigrations(db)).toHaveLength(bundledMigrations().length);
    db.close();
  });

  it('backs up a database holding data before migrating it', async () => {
    const { db, dir } = fresh();
    const v1 = [step('0000_a', 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);')];
    await migrate(db, v1, join(dir, 'backups'));
    db.prepare(`INSERT INTO t (v) VALUES ('kept')`).run();
    const result = await migrate(db, [...v1, step('0001_b', 'ALTER TABLE t ADD COLUMN w TEXT;')], join(dir, 'backups'));
    expect(result.applied).toEqual(['0001_b']);
    expect(result.backupPath).toMatch(/pre-migrate-.*-0001_b\.db$/);
    expect(existsSync(`${result.backupPath}.sha256`)).toBe(true);
    const copy = openSqlite(result.backupPath!, { dataDir: dir, readonly: true });
    expect(copy.prepare('SELECT v FROM t').all()).toEqual([{ v: 'kept' }]);
    expect(copy.prepare(`SELECT count(*) AS n FROM ${MIGRATIONS_TABLE}`).get()).toEqual({ n: 1 });
    copy.close();
    db.close();
  });

  it('leaves the previous schema and data intact when a migration throws', async () => {
    const { db, dir } = fresh();
    const v1 = [step('0000_a', 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);')];
    await migrate(db, v1, join(dir, 'backups'));
    db.prepare(`INSERT INTO t (v) VALUES ('one'), ('two')`).run();
    const before = schemaOf(db);
    const broken = [
      ...v1,
      step('0001_ok', 'CREATE TABLE u (id INTEGER PRIMARY KEY); ALTER TABLE t ADD COLUMN w TEXT;'),
      step('0002_bad', 'UPDATE t SET w = 1; INSERT INTO no_such_table VALUES (1);'),
    ];
    const err = await rejection(migrate(db, broken, join(dir, 'backups')));
    expect(isAppError(err, 'migration_failed')).toBe(true);
    expect((err as Error).message).toMatch(/0002_bad/);
    expect(schemaOf(db)).toEqual(before);
    expect(db.prepare('SELECT v FROM t ORDER BY id').all()).toEqual([{ v: 'one' }, { v: 'two' }]);
    expect(appliedMigrations(db).map((r) => r.tag)).toEqual(['0000_a']);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.close();
  });

  it('refuses a database from a newer schema, changing nothing', async () => {
    const { db, dir } = fresh();
    const newer = [...bundledMigrations(), step('9999_future', 'CREATE TABLE future (id INTEGER);')];
    await migrate(db, newer, join(dir, 'backups'));
    const before = schemaOf(db);
    const err = await rejection(migrate(db, bundledMigrations(), join(dir, 'backups')));
    expect(isAppError(err, 'schema_newer')).toBe(true);
    expect((err as Error).message).toMatch(/newer than this build/);
    expect(schemaOf(db)).toEqual(before);
    expect(readdirSync(dir)).not.toContain('backups');
    db.close();
  });

  it('refuses an edited migration and a foreign database', async () => {
    const { db, dir } = fresh();
    await migrate(db, [step('0000_a', 'CREATE TABLE t (id INTEGER);')], join(dir, 'b'));
    const edited = await rejection(migrate(db, [step('0000_a', 'CREATE TABLE t (id TEXT);')], join(dir, 'b')));
    expect(isAppError(edited, 'schema_mismatch')).toBe(true);
    db.close();

    const other = fresh();
    other.db.exec('CREATE TABLE someone_elses (x)');
    const foreign = await rejection(migrate(other.db, bundledMigrations(), join(other.dir, 'b')));
    expect(isAppError(foreign, 'foreign_database')).toBe(true);
    other.db.close();
  });

  it('loads sqlite-vec with every connection', () => {
    const { db } = fresh();
    expect((db.prepare('SELECT vec_version() AS v').get() as { v: string }).v).toMatch(/^v0\.1\./);
    db.close();
  });
});
