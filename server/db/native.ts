import { join } from 'node:path';
import { getLoadablePath } from 'sqlite-vec';
import { isSingleExecutable, materializeEmbedded } from '../kernel/embedded.ts';

/** Where the native parts of the database come from in this process. */
export interface NativeParts {
  /** better-sqlite3's loaded addon, or undefined to let it find its own. */
  binding?: object;
  /** Path of sqlite-vec's loadable extension. */
  vecPath: string;
}

let cached: NativeParts | undefined;

/**
 * Locates better-sqlite3's addon and sqlite-vec's extension. Inside the
 * single executable `require` loads only built-ins, so both are written from
 * the embedded assets into `<dataDir>/.native/` once and loaded from there.
 */
export function nativeParts(dataDir: string): NativeParts {
  if (cached) return cached;
  if (!isSingleExecutable()) {
    cached = { vecPath: getLoadablePath() };
    return cached;
  }
  const cacheDir = join(dataDir, '.native');
  const addonPath = materializeEmbedded('native/better_sqlite3.node', cacheDir, '');
  const mod = { exports: {} as object };
  process.dlopen(mod, addonPath);
  cached = { binding: mod.exports, vecPath: materializeEmbedded('native/vec0.so', cacheDir, '') };
  return cached;
}
