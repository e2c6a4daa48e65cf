import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AppError } from '../kernel/errors.ts';
import { readPidFile, writePidFile } from '../kernel/pidfile.ts';
import { restrictToOwner } from '../kernel/private-files.ts';
import { nativeParts } from './native.ts';

/** The lock file inside a data folder. Never opened by anything but {@link lockDataDir}. */
export const LOCK_FILE = 'onsite.lock';

/** Who holds the lock, for the refusal message (written by the holder). */
export const PID_FILE = 'onsite.pid';

/** A held data-folder lock. */
export interface DataDirLock {
  /** Lets the next process in; safe to call twice. */
  release(): void;
}

/**
 * Takes the one exclusive lock on a data folder, before the database is
 * opened, so that `serve`, `restore`, `migrate` and `admin rotate-key`
 * never run on the same folder at once; a second taker fails at once with
 * `data_dir_locked`, naming the holder.
 *
 * The lock is the kernel's: an exclusive SQLite transaction kept open on
 * `onsite.lock` (fcntl byte-range locks). The kernel drops it when the
 * holder exits however it exits, SIGKILL included, so a stale lock cannot
 * exist; and it holds across containers sharing the volume, where the PID
 * of another container's process means nothing (`scripts/restore.sh` runs
 * `restore` in a container of its own).
 */
export function lockDataDir(dataDir: string, command: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, LOCK_FILE);
  const native = nativeParts(dataDir);
  // timeout 0: a held lock refuses at once instead of waiting for it.
  const db = new Database(path, { timeout: 0, ...(native.binding ? { nativeBinding: native.binding as unknown as string } : {}) });
  try {
    restrictToOwner(path);
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
    const holder = readPidFile(join(dataDir, PID_FILE));
    const who = holder ? `\`onsite ${holder.command}\` (pid ${holder.pid} on ${holder.host}, since ${holder.startedAt})` : 'another onsite process';
    throw new AppError('data_dir_locked', `the data folder ${dataDir} is in use by ${who}; stop it first, then run this again`, {
      pid: holder?.pid,
      host: holder?.host,
      command: holder?.command,
    });
  }
  const removePid = writePidFile(join(dataDir, PID_FILE), command);
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      removePid();
      db.close(); // ends the transaction: the kernel lock goes with the file handle
    },
  };
}

/** Runs `fn` holding the data folder's lock (see {@link lockDataDir}). */
export async function withDataDirLock<T>(dataDir: string, command: string, fn: () => Promise<T> | T): Promise<T> {
  const lock = lockDataDir(dataDir, command);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
