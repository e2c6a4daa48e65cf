// .onsite-init: init's record of the files it wrote into the bundle folder.
// They are the only files besides the signed ones that init accepts there,
// and only while the record is genuine. A tampered archive could carry a
// record of its own, so the record holds a random token whose hash names a
// Docker volume that init created on this engine: an archive can bring the
// file, never the volume. scripts/init.sh and init.ps1 make the same check
// before anything is loaded; keep the three in step.
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../kernel/errors.ts';
import { writeFileAtomic, type Owner } from '../files.ts';
import { createVolume, volumeExists } from '../images/docker-api.ts';

/** The record's file name in the bundle folder. */
export const RECORD_FILE = '.onsite-init';
/** Every file init may write into the bundle folder (.env and the TLS files). */
export const INIT_FILES = ['.env', 'tls/ca.crt', 'tls/ca.key', 'tls/server.crt', 'tls/server.key'] as const;
/** Folders the operator scripts write into an installation: backup.sh's copies and update.sh's previous files. */
export const SCRIPT_DIRS = ['backups/', '.previous/'] as const;

const FORMAT = 'onsite-init-v1';

/** A parsed record: its token and the files init wrote. */
export interface InitRecord {
  token: string;
  files: string[];
}

/** The Docker volume whose existence proves that init on this engine wrote a record with `token`. */
export function markerVolume(token: string): string {
  return `onsite_init_${createHash('sha256').update(token).digest('hex').slice(0, 32)}`;
}

/** Parses the text of a record; throws {@link AppError} `bundle_invalid` for anything init does not write. */
export function parseRecord(text: string): InitRecord {
  const fail = (why: string): never => {
    throw new AppError('bundle_invalid', `${RECORD_FILE}: ${why}; init did not write this file. Nothing was loaded or written`);
  };
  const lines = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  if (lines[0] !== FORMAT) return fail(`not a record (its first line is not ${FORMAT})`);
  const token = /^token ([0-9a-f]{64})$/.exec(lines[1] ?? '')?.[1] ?? fail('no token line');
  const files = lines.slice(2).map((l) => {
    const file = /^file (.+)$/.exec(l)?.[1];
    return file && (INIT_FILES as readonly string[]).includes(file) ? file : fail(`"${l}" names no file init writes`);
  });
  return { token, files };
}

/** The text of a record. */
export function renderRecord(record: InitRecord): string {
  const head = ['# Written by onsite init: the files it wrote into this folder. Keep it; do not edit or copy it.', FORMAT, `token ${record.token}`];
  return `${[...head, ...record.files.map((f) => `file ${f}`)].join('\n')}\n`;
}

/** Reads the folder's record, or undefined when there is none. */
export async function readRecord(bundleDir: string): Promise<InitRecord | undefined> {
  let text: string;
  try {
    text = await readFile(join(bundleDir, RECORD_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AppError('bundle_invalid', `${RECORD_FILE} cannot be read (${(err as NodeJS.ErrnoException).code}); nothing was loaded or written`);
  }
  return parseRecord(text);
}

/**
 * The unlisted paths init accepts in the folder (a trailing `/` takes a
 * whole folder): with a genuine record, the record, the files it names and
 * the scripts' folders; with `adopt` (the operator vouches for .env and
 * tls/, restored from a backup), every file init writes; else none.
 */
export async function acceptedUnlisted(bundleDir: string, socketPath: string, adopt: boolean): Promise<string[]> {
  if (adopt) return [RECORD_FILE, ...INIT_FILES, ...SCRIPT_DIRS];
  const record = await readRecord(bundleDir);
  if (!record) return [];
  if (!(await volumeExists(socketPath, markerVolume(record.token)))) {
    throw new AppError(
      'bundle_invalid',
      `${RECORD_FILE} does not belong to an init on this Docker engine (no volume ${markerVolume(record.token)}): it came with the files, or from another machine. ` +
        'Nothing was loaded or written. If you restored .env and tls/ here yourself, run init again with --adopt-existing',
    );
  }
  return [RECORD_FILE, ...record.files, ...SCRIPT_DIRS];
}

/**
 * Makes the record before init writes .env and tls/: keeps a genuine one,
 * else draws a new token, creates its marker volume, then writes the file
 * (0600), so a record never exists without its volume.
 */
export async function ensureRecord(bundleDir: string, socketPath: string, options: { adopt: boolean; owner?: Owner }): Promise<'kept' | 'created'> {
  const existing = options.adopt ? undefined : await readRecord(bundleDir);
  if (existing) return 'kept';
  const token = randomBytes(32).toString('hex');
  await createVolume(socketPath, markerVolume(token), { 'io.onsite.record': 'init' });
  await writeFileAtomic(join(bundleDir, RECORD_FILE), renderRecord({ token, files: [...INIT_FILES] }), 0o600, options.owner);
  return 'created';
}
