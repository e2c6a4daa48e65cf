import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * Records that this process serves from a data folder, so that offline
 * operations (restore) can refuse to pull the database from under it.
 * Returns a function that removes the record.
 */
export function writePidFile(path: string): () => void {
  writeFileSync(path, JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString() }), {
    mode: 0o600,
  });
  return () => {
    try {
      if (runningPid(path) === process.pid) rmSync(path, { force: true });
    } catch {
      // Nothing to clean up.
    }
  };
}

/**
 * The PID of another live process recorded in `path` on this host, or
 * undefined when none is running (stale records are ignored).
 */
export function runningPid(path: string): number | undefined {
  let record: { pid?: unknown; host?: unknown };
  try {
    record = JSON.parse(readFileSync(path, 'utf8')) as typeof record;
  } catch {
    return undefined;
  }
  if (typeof record.pid !== 'number' || record.host !== hostname()) return undefined;
  if (record.pid === process.pid) return record.pid;
  try {
    process.kill(record.pid, 0);
    return record.pid;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? record.pid : undefined;
  }
}
