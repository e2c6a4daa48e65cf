import { AppError } from '../../kernel/errors.ts';

/** One line of SHA256SUMS: the expected hash of a file, by its path inside the bundle. */
export interface SumEntry {
  path: string;
  sha256: string;
}

// `sha256sum` writes `<hex>  <path>` (text mode) or `<hex> *<path>` (binary mode).
const LINE = /^([0-9a-fA-F]{64}) [ *](.+)$/;

/**
 * Turns a listed path into a safe bundle-relative path, or explains why it
 * is not one: nothing absolute, no `..`, no backslashes, so a signed list
 * can only name files inside the bundle folder.
 */
function safePath(raw: string): string {
  const path = raw.startsWith('./') ? raw.slice(2) : raw;
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) throw new Error('an absolute path');
  if (path.includes('\\')) throw new Error('a backslash in the path');
  const parts = path.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..')) throw new Error('an empty, "." or ".." path segment');
  return path;
}

/**
 * Parses SHA256SUMS in `sha256sum` format. Throws {@link AppError}
 * `bundle_invalid` naming the line for anything else (escaped names,
 * unsafe paths, a file listed twice, an empty list).
 */
export function parseSums(text: string, name = 'SHA256SUMS'): SumEntry[] {
  const entries: SumEntry[] = [];
  const seen = new Set<string>();
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((line, i) => {
    const fail = (why: string): never => {
      throw new AppError('bundle_invalid', `${name} line ${i + 1}: ${why}`);
    };
    const m = LINE.exec(line);
    if (!m) return fail('not "<sha256 hex>  <path>"');
    let path: string;
    try {
      path = safePath(m[2]!);
    } catch (err) {
      return fail(`${(err as Error).message}: ${m[2]}`);
    }
    if (seen.has(path)) return fail(`${path} is listed twice`);
    seen.add(path);
    entries.push({ path, sha256: m[1]!.toLowerCase() });
  });
  if (entries.length === 0) throw new AppError('bundle_invalid', `${name} lists no file`);
  return entries;
}
