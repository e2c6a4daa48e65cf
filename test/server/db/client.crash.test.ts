import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqlite } from '../../../server/db/client.ts';
import { tempDir } from '../../helpers/env.ts';

const tmp = tempDir();
afterAll(tmp.cleanup);
const KILLS = 15;

/** Starts the writer, kills it with SIGKILL after it has committed a while; returns the last seq it reported. */
function runAndKill(dbPath: string, killAfterMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/crash-writer.ts', dbPath, tmp.dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let acked = 0;
    let buffered = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const l of lines) acked = Math.max(acked, Number(l));
      timer ??= setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`writer ended without being killed (${signal ?? _code})`));
      else resolve(acked);
    });
  });
}

describe('crash safety', () => {
  it(`keeps every committed row through ${KILLS} SIGKILLs mid-write`, { timeout: 120_000 }, async () => {
    const dbPath = join(tmp.dir, 'crash.db');
    let lastAcked = 0;
    for (let i = 0; i < KILLS; i++) {
      const acked = await runAndKill(dbPath, 20 + ((i * 37) % 150));
      expect(acked).toBeGreaterThan(lastAcked);

      const db = openSqlite(dbPath, { dataDir: tmp.dir, mustExist: true });
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const { maxSeq, rows } = db.prepare('SELECT max(seq) AS maxSeq, count(*) AS rows FROM crash_rows').get() as {
        maxSeq: number;
        rows: number;
      };
      // Everything acknowledged is there; a batch is all or nothing; no gaps.
      expect(maxSeq).toBeGreaterThanOrEqual(acked);
      expect(rows).toBe(maxSeq * 20);
      db.close();
      lastAcked = maxSeq;
    }
  });
});
