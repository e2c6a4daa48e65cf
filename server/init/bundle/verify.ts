import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Keyring } from '../../../licenses/activation-code.ts';
import { InitError } from '../errors.ts';
import { exists, hashFile, listFiles } from '../files.ts';
import { parseSums } from './sums.ts';
import { verifyBundleSums, type BundleSigner } from './signature.ts';

/** The checksum list of a bundle, at its root. */
export const SUMS_FILE = 'SHA256SUMS';
/** The signature of {@link SUMS_FILE}. */
export const SIG_FILE = 'SHA256SUMS.sig';
/** Folders whose every file must be listed: what init loads or copies comes only from a signed list. */
export const FULLY_LISTED_DIRS = ['images', 'models'] as const;

/** A bundle whose signature, list and files all check out. */
export interface VerifiedBundle {
  signer: BundleSigner;
  /** SHA-256 of every listed file, by bundle-relative path (what later steps trust without reading twice). */
  hashes: ReadonlyMap<string, string>;
  /** Bytes read and hashed. */
  bytes: number;
}

const bundleError = (message: string) => new InitError('bundle_invalid', `${message}; nothing was loaded or written`);

async function readRequired(dir: string, name: string, code: 'bundle_invalid' | 'signature_invalid'): Promise<Buffer> {
  try {
    return await readFile(join(dir, name));
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'is missing' : `cannot be read (${(err as NodeJS.ErrnoException).code})`;
    throw new InitError(code, `${name} ${why} in ${dir}: is --bundle the extracted release bundle? Nothing was loaded or written`);
  }
}

/**
 * Verifies a release bundle before anything is taken from it: the
 * signature of SHA256SUMS against the compiled-in keys, then every listed
 * file's hash, and that nothing under images/ or models/ is left unlisted.
 * Throws {@link InitError} naming the first file at fault.
 */
export async function verifyBundle(dir: string, keyring: Keyring, progress: (line: string) => void = () => {}): Promise<VerifiedBundle> {
  const sums = await readRequired(dir, SUMS_FILE, 'bundle_invalid');
  const sig = await readRequired(dir, SIG_FILE, 'signature_invalid');
  // The signature first: an unsigned list is not worth hashing gigabytes for.
  const signer = verifyBundleSums(sums, sig.toString('utf8'), keyring, SIG_FILE);
  const entries = parseSums(sums.toString('utf8'), SUMS_FILE);
  const listed = new Set(entries.map((e) => e.path));

  for (const sub of FULLY_LISTED_DIRS) {
    if (!(await exists(join(dir, sub)))) continue;
    const { files, odd } = await listFiles(dir, sub);
    if (odd.length) throw bundleError(`${odd[0]} is not a plain file (a link or device has no place in a bundle)`);
    const unlisted = files.filter((f) => !listed.has(f));
    if (unlisted.length) {
      const more = unlisted.length > 1 ? ` (and ${unlisted.length - 1} more)` : '';
      throw bundleError(`${unlisted[0]}${more} is not listed in ${SUMS_FILE}: every file under ${FULLY_LISTED_DIRS.join('/ and ')}/ must be signed`);
    }
  }

  // Every listed file must be there before hours of hashing start.
  let total = 0;
  for (const { path } of entries) {
    const stat = await lstat(join(dir, path)).catch(() => undefined);
    if (!stat) throw bundleError(`${path} is listed in ${SUMS_FILE} but missing`);
    if (!stat.isFile()) throw bundleError(`${path} is listed in ${SUMS_FILE} but is not a plain file`);
    total += stat.size;
  }
  progress(`checking ${entries.length} files (${(total / 1024 ** 2).toFixed(1)} MiB) against ${SUMS_FILE}`);
  const hashes = new Map<string, string>();
  for (const { path, sha256 } of entries) {
    const actual = await hashFile(join(dir, path));
    if (actual !== sha256) throw bundleError(`${path} does not match its SHA-256 in ${SUMS_FILE} (damaged in transfer or altered)`);
    hashes.set(path, actual);
  }
  return { signer, hashes, bytes: total };
}
