import { chmodSync, closeSync, openSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

// A file we cannot chmod (another owner) or that is gone keeps going: the
// mode is a second wall behind the 0700 data folder, not a reason to stop.
const ignorable = (err: unknown) => ['ENOENT', 'EPERM'].includes((err as NodeJS.ErrnoException).code ?? '');

/** Narrows an existing file to its owner (0600); a missing file is fine. */
export function restrictToOwner(path: string): void {
  try {
    if ((statSync(path).mode & 0o777) !== 0o600) chmodSync(path, 0o600);
  } catch (err) {
    if (!ignorable(err)) throw err;
  }
}

/**
 * Creates `path` empty with mode 0600 unless it exists, so that whoever
 * fills it next (SQLite, a backup) writes into a private file instead of
 * one made with the default 0644; an existing file is narrowed to 0600.
 */
export function createPrivateFile(path: string): void {
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  restrictToOwner(path);
}

/** Narrows every file directly inside `dir` to 0600 and the folder to 0700; a missing folder is fine. */
export function restrictFolder(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
    chmodSync(dir, 0o700);
  } catch (err) {
    if (ignorable(err)) return;
    throw err;
  }
  for (const name of names) {
    const path = join(dir, name);
    if (statSync(path, { throwIfNoEntry: false })?.isFile()) restrictToOwner(path);
  }
}
