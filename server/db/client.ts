import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { createPrivateFile, restrictToOwner } from '../kernel/private-files.ts';
import { nativeParts } from './native.ts';
import * as schema from './schema/index.ts';

/** The raw better-sqlite3 handle. */
export type Sqlite = Database.Database;

/** The drizzle handle over the whole schema. */
export type Orm = BetterSQLite3Database<typeof schema>;

/** An open database: the raw handle for pragmas and backups, drizzle for queries. */
export interface Db {
  sqlite: Sqlite;
  orm: Orm;
  path: string;
  close(): void;
}

/** `PRAGMA application_id` of every Onsite database ("ONST"). */
export const APPLICATION_ID = 0x4f4e5354;

/** Options for {@link openDatabase}. */
export interface OpenOptions {
  /** Folder for the native-addon cache inside the single executable. */
  dataDir: string;
  readonly?: boolean;
  /** Require the file to exist already. */
  mustExist?: boolean;
}

/**
 * Opens a SQLite file with sqlite-vec loaded and the pragmas the product
 * relies on: WAL (readers never block the writer), a busy timeout, foreign
 * keys, and FULL sync so a committed row survives power loss too. A file
 * opened for writing is mode 0600 with its -wal and -shm: it is created
 * so before SQLite opens it (SQLite gives the -wal and -shm the database
 * file's mode), and older files are narrowed.
 */
export function openSqlite(path: string, options: OpenOptions): Sqlite {
  const native = nativeParts(options.dataDir);
  if (!options.readonly && !options.mustExist) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    createPrivateFile(path);
  }
  if (!options.readonly) for (const file of [path, `${path}-wal`, `${path}-shm`]) restrictToOwner(file);
  const sqlite = new Database(path, {
    readonly: options.readonly ?? false,
    fileMustExist: options.mustExist ?? options.readonly ?? false,
    ...(native.binding ? { nativeBinding: native.binding as unknown as string } : {}),
  });
  try {
    sqlite.pragma('busy_timeout = 5000');
    if (!options.readonly) {
      sqlite.pragma('journal_mode = WAL');
      sqlite.pragma('synchronous = FULL');
    }
    sqlite.pragma('foreign_keys = ON');
    sqlite.loadExtension(native.vecPath);
  } catch (err) {
    sqlite.close();
    throw err;
  }
  return sqlite;
}

/** Opens the database for the application (see {@link openSqlite}). */
export function openDatabase(path: string, options: OpenOptions): Db {
  const sqlite = openSqlite(path, options);
  return { sqlite, orm: drizzle(sqlite, { schema }), path, close: () => sqlite.close() };
}
