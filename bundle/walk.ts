import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Every plain file below `dir`, recursively (links and other kinds are skipped). */
export function walk(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...walk(full));
    else if (entry.isFile()) files.push(full);
  }
  return files;
}
