import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { AppError } from '../kernel/errors.ts';
import { createPrivateFile, restrictToOwner } from '../kernel/private-files.ts';
import { APPLICATION_ID, openSqlite, type Sqlite } from './client.ts';

/** SHA-256 of a file, streamed. */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Path of the checksum file written beside a backup. */
export const checksumPath = (file: string): string => `${file}.sha256`;

function checkFile(path: string, dataDir: string): void {
  let db: Sqlite | undefined;
  try {
    db = openSqlite(path, { dataDir, readonly: true });
    const result = db.pragma('integrity_check', { simple: true });
    if (result !== 'ok') throw new AppError('backup_invalid', `integrity check failed: ${String(result)}`);
    if (db.pragma('application_id', { simple: true }) !== APPLICATION_ID) {
      throw new AppError('backup_invalid', 'the file is not an Onsite database');
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('backup_invalid', `the file is not a readable SQLite database: ${(err as Error).message}`);
  } finally {
    db?.close();
  }
}

/**
 * Writes a consistent copy of a live database with SQLite's online backup,
 * checks it, and writes `FILE.sha256` beside it. The copy appears under its
 * final name only once it has passed, so a crash never leaves a half file;
 * both files are mode 0600 from their first byte (a backup holds every
 * account and document).
 */
export async function backupDatabase(sqlite: Sqlite, dest: string, dataDir = dirname(dest)): Promise<{ path: string; sha256: string }> {
  mkdirSync(dirname(dest), { recursive: true, mode: 0o700 });
  const tmp = `${dest}.${randomBytes(6).toString('hex')}.partial`;
  try {
    createPrivateFile(tmp); // SQLite writes the copy into this file, keeping its mode
    await sqlite.backup(tmp);
    // The copy is opened read-only afterwards; leave it as a single file.
    const copy = openSqlite(tmp, { dataDir, mustExist: true });
    copy.pragma('journal_mode = DELETE');
    copy.close();
    checkFile(tmp, dataDir);
    const sha256 = await fileSha256(tmp);
    renameSync(tmp, dest);
    writeFileSync(checksumPath(dest), `${sha256}  ${basename(dest)}\n`, { mode: 0o600 });
    restrictToOwner(checksumPath(dest));
    return { path: dest, sha256 };
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * Verifies a backup before anything trusts it: the checksum file must exist
 * and match, and the database must pass `integrity_check` and be Onsite's.
 */
export async function verifyBackup(file: string, dataDir: string): Promise<void> {
  if (!existsSync(file)) throw new AppError('backup_invalid', `no such file: ${file}`);
  const sumFile = checksumPath(file);
  if (!existsSync(sumFile)) throw new AppError('backup_invalid', `checksum file missing: ${sumFile}`);
  const expected = readFileSync(sumFile, 'utf8').trim().split(/\s+/)[0] ?? '';
  if (!/^[0-9a-f]{64}$/.test(expected)) throw new AppError('backup_invalid', `checksum file is malformed: ${sumFile}`);
  if ((await fileSha256(file)) !== expected) {
    throw new AppError('backup_invalid', 'the backup does not match its checksum (truncated or altered); refusing it');
  }
  checkFile(file, dataDir);
}
