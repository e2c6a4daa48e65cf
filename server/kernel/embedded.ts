import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

type SeaModule = { isSea(): boolean; getAsset(key: string): ArrayBuffer };

let seaCache: SeaModule | null | undefined;

function sea(): SeaModule | null {
  if (seaCache === undefined) {
    // node:sea only exists on newer Node; getBuiltinModule works from ESM and CJS alike.
    const mod = process.getBuiltinModule?.('node:sea') as SeaModule | undefined;
    seaCache = mod?.isSea() ? mod : null;
  }
  return seaCache;
}

/** Tells whether this process is the single executable (`dist/onsite`). */
export function isSingleExecutable(): boolean {
  return sea() !== null;
}

function repoRoot(): string {
  // Only reached outside the single executable, where import.meta.url is real.
  return fileURLToPath(new URL('../../', import.meta.url));
}

/**
 * Reads a file shipped with the product, by its path from the repository
 * root (`server/ui/static/app.css`). Inside the single executable it comes
 * from the embedded assets; in a checkout, from disk.
 */
export function readEmbedded(key: string): Buffer {
  const s = sea();
  if (s) {
    try {
      return Buffer.from(s.getAsset(key));
    } catch {
      throw new Error(`embedded asset missing from the binary: ${key}`);
    }
  }
  return readFileSync(join(repoRoot(), key));
}

/** Tells whether an embedded file exists. */
export function hasEmbedded(key: string): boolean {
  const s = sea();
  if (!s) return existsSync(join(repoRoot(), key));
  try {
    s.getAsset(key);
    return true;
  } catch {
    return false;
  }
}

/**
 * Returns a path on disk holding an embedded file, for things that must be
 * loaded from a file (native addons). Inside the binary the file is written
 * once into `cacheDir/<content hash>/`, atomically, and reused afterwards.
 * Outside it, `devPath` (the file in node_modules) is returned unchanged.
 */
export function materializeEmbedded(key: string, cacheDir: string, devPath: string): string {
  if (!sea()) return devPath;
  const data = readEmbedded(key);
  const hash = createHash('sha256').update(data).digest('hex').slice(0, 16);
  const dir = join(cacheDir, hash);
  const target = join(dir, key.split('/').pop() ?? 'asset');
  // Re-check the cached copy: a damaged file must not be loaded into the process.
  if (existsSync(target) && createHash('sha256').update(readFileSync(target)).digest('hex').startsWith(hash)) {
    return target;
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${target}.${process.pid}.tmp`;
  writeFileSync(tmp, data, { mode: 0o500 });
  renameSync(tmp, target);
  return target;
}
