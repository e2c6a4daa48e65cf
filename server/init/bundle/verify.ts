import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Keyring } from '../../../licenses/activation-code.ts';
import { AppError } from '../../kernel/errors.ts';
import { hashFile, listFiles } from '../files.ts';
import { parseSums } from './sums.ts';
import { verifyBundleSums, type BundleSigner } from './signature.ts';

/** The checksum list of a bundle, at its root. */
export const SUMS_FILE = 'SHA256SUMS';
/** The signature of {@link SUMS_FILE}. */
export const SIG_FILE = 'SHA256SUMS.sig';
/** The files beside SHA256SUMS that it cannot list: itself and its two signatures (sshsig for stock tools). */
export const SIGNATURE_FILES = [SUMS_FILE, SIG_FILE, 'SHA256SUMS.sshsig'] as const;

/** A bundle whose signature, list and files all check out. */
export interface VerifiedBundle {
  signer: BundleSigner;
  /** SHA-256 of every listed file, by bundle-relative path (what later steps trust without reading twice). */
  hashes: ReadonlyMap<string, string>;
  /** Bytes read and hashed. */
  bytes: number;
}

const bundleError = (message: string) => new AppError('bundle_invalid', `${message}; nothing was loaded or written`);

async function readRequired(dir: string, name: string, code: 'bundle_invalid' | 'signature_invalid'): Promise<Buffer> {
  try {
    return await readFile(join(dir, name));
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'is missing' : `cannot be read (${(err as NodeJS.ErrnoException).code})`;
    throw new AppError(code, `${name} ${why} in ${dir}: is --bundle the extracted release bundle? Nothing was loaded or written`);
  }
}

// What a bundle without init's record must not bring: init writes these itself.
const INIT_WRITES = /^(\.env|tls\/.*|\.onsite-init)$/;

function unlistedError(path: string, more: number): AppError {
  const others = more ? ` (and ${more} more)` : '';
  if (INIT_WRITES.test(path)) {
    return bundleError(
      `${path}${others} is not part of the bundle and init has no record of writing it: a bundle never brings its own .env, tls/ or init record. ` +
        'Delete it (if you restored .env and tls/ here yourself from a backup, run init again with --adopt-existing)',
    );
  }
  return bundleError(
    `${path}${others} is not listed in ${SUMS_FILE}: every file of the bundle must be signed (an extra file, such as a compose override, is refused)`,
  );
}

/**
 * Verifies a release bundle before anything is taken from it: the
 * signature of SHA256SUMS against the compiled-in keys, then that every
 * file in the folder is listed (or is one of the `accepted` unlisted
 * paths, a trailing `/` taking a whole folder), then every listed file's
 * hash. Throws {@link AppError} naming the first file at fault.
 */
export async function verifyBundle(
  dir: string,
  keyring: Keyring,
  progress: (line: string) => void = () => {},
  accepted: readonly string[] = [],
): Promise<VerifiedBundle> {
  const sums = await readRequired(dir, SUMS_FILE, 'bundle_invalid');
  const sig = await readRequired(dir, SIG_FILE, 'signature_invalid');
  // The signature first: an unsigned list is not worth hashing gigabytes for.
  const signer = verifyBundleSums(sums, sig.toString('utf8'), keyring, SIG_FILE);
  const entries = parseSums(sums.toString('utf8'), SUMS_FILE);
  const listed = new Set<string>([...entries.map((e) => e.path), ...SIGNATURE_FILES]);
  const isAccepted = (f: string) => accepted.some((a) => (a.endsWith('/') ? f.startsWith(a) : f === a));

  const { files, odd } = await listFiles(dir, '');
  if (odd.length) throw bundleError(`${odd[0]} is not a plain file (a link or device has no place in a bundle)`);
  const unlisted = files.filter((f) => !listed.has(f) && !isAccepted(f));
  if (unlisted.length) throw unlistedError(unlisted[0]!, unlisted.length - 1);

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
