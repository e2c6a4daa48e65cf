import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyBackup } from '../../../server/db/backup.ts';
import { createJobs } from '../../../server/kernel/jobs.ts';
import { createTestServer, testClock } from '../../helpers/server.ts';

describe('daily backup', () => {
  const clock = testClock(Date.parse('2026-03-01T10:00:00Z'));
  let s: Awaited<ReturnType<typeof createTestServer>> | undefined;
  afterAll(() => s?.cleanup());

  it('makes one verified backup a day and keeps BACKUP_RETENTION_DAYS of them', async () => {
    s = await createTestServer({ BACKUP_RETENTION_DAYS: '3' }, { clock: clock.now });
    const dir = join(s.config.dataDir, 'backups');
    for (let day = 0; day < 6; day++) {
      await s.jobs.runNow('daily-backup');
      await s.jobs.runNow('daily-backup'); // a second run the same day adds nothing
      clock.advance(86_400_000);
    }
    const files = readdirSync(dir)
      .filter((f) => f.startsWith('daily-'))
      .sort();
    expect(files).toEqual([
      'daily-2026-03-03.db',
      'daily-2026-03-03.db.sha256',
      'daily-2026-03-04.db',
      'daily-2026-03-04.db.sha256',
      'daily-2026-03-05.db',
      'daily-2026-03-05.db.sha256',
      'daily-2026-03-06.db',
      'daily-2026-03-06.db.sha256',
    ]);
    await verifyBackup(join(dir, 'daily-2026-03-06.db'), s.config.dataDir);
  });
});

describe('background jobs', () => {
  it('never overlap a job, report failures and wait for running jobs on stop', async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const errors: string[] = [];
    let release!: () => void;
    const jobs = createJobs(
      [
        {
          name: 'slow',
          everyMs: 1_000_000,
          firstAfterMs: 1_000_000,
          run: async () => {
            active++;
            runs++;
            maxActive = Math.max(maxActive, active);
            await new Promise<void>((r) => (release = r));
            active--;
          },
        },
        {
          name: 'broken',
          everyMs: 1_000_000,
          firstAfterMs: 1_000_000,
          run: () => {
            throw new Error('boom');
          },
        },
      ],
      (job, err) => errors.push(`${job}: ${(err as Error).message}`),
    );
    jobs.start();
    const a = jobs.runNow('slow');
    const b = jobs.runNow('slow');
    expect(runs).toBe(1);
    await jobs.runNow('broken');
    expect(errors).toEqual(['broken: boom']);
    let stopped = false;
    const stopping = jobs.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(stopped).toBe(false);
    release();
    await Promise.all([a, b, stopping]);
    expect(maxActive).toBe(1);
  });
});
