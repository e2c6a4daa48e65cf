import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { restrictToOwner } from './private-files.ts';

/** Who holds a data folder, as its PID file says. */
export interface PidRecord {
  pid: number;
  host: string;
  /** The onsite command, e.g. `serve` or `restore`. */
  command: string;
  startedAt: string;
}

/**
 * Records (mode 0600) which process holds a data folder, so that another
 * one refused by the lock can say who to stop. Informational only: the lock
 * itself decides. Returns a function that removes the record if it is still
 * this one.
 */
export function writePidFile(path: string, command: string): () => void {
  const text = JSON.stringify({ pid: process.pid, host: hostname(), command, startedAt: new Date().toISOString() } satisfies PidRecord);
  writeFileSync(path, text, { mode: 0o600 });
  restrictToOwner(path); // an older file keeps its mode through writeFileSync
  return () => {
    try {
      if (readFileSync(path, 'utf8') === text) rmSync(path, { force: true });
    } catch {
      // Nothing to clean up.
    }
  };
}

/** The record in a PID file, or undefined when there is none or it is unreadable. */
export function readPidFile(path: string): PidRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(path, 'utf8')) as Partial<PidRecord>;
    if (typeof r.pid !== 'number') return undefined;
    return { pid: r.pid, host: String(r.host ?? '?'), command: String(r.command ?? 'serve'), startedAt: String(r.startedAt ?? '?') };
  } catch {
    return undefined;
  }
}
