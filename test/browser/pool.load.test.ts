import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSidecarRig, type SidecarRig } from './harness.ts';

// Pool behaviour under load, against the real sidecar with pool 6: every
// fetch either succeeds or gets the documented 503 after the wait, and a
// Chromium killed mid-run does not fail the fetches started afterwards.
let rig: SidecarRig;

/** Chromium main processes this test process launched (children whose command line has no --type=). */
function chromiumPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (ppid === process.pid && /chrom/i.test(cmd) && !cmd.includes('--type=')) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

async function timedFetch(url: string): Promise<{ status: number; code?: string; ms: number }> {
  const t0 = performance.now();
  const r = await rig.call('/fetch', { body: { url, waitMs: 50 } });
  return { status: r.status, code: r.body?.error?.code, ms: performance.now() - t0 };
}

beforeAll(async () => {
  rig = await startSidecarRig({ BROWSER_SERVICE_POOL_SIZE: '6', BROWSER_SESSION_MAX_COUNT: '6', BROWSER_SERVICE_POOL_WAIT_SECONDS: '5' });
}, 90_000);

afterAll(async () => {
  await rig?.stop();
});

describe('browser pool under load', () => {
  it('20 concurrent fetches with pool 6: each succeeds or gets 503 browser_busy after the wait', async () => {
    expect(chromiumPids()).toHaveLength(6);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => timedFetch(`${rig.site.url}/article?n=${i}`)));
    for (const r of results) {
      if (r.status === 200) continue;
      expect(r).toMatchObject({ status: 503, code: 'browser_busy' });
      expect(r.ms).toBeGreaterThanOrEqual(4900);
    }
    expect(results.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(6);
    expect((await rig.call('/health')).body.pool).toMatchObject({ active: 0, waiting: 0, alive: 6 });
  }, 60_000);

  it('beyond the wait the documented 503 comes, with a clear message', async () => {
    const slow = await startSidecarRig({ BROWSER_SERVICE_POOL_SIZE: '1', BROWSER_SESSION_MAX_COUNT: '1', BROWSER_SERVICE_POOL_WAIT_SECONDS: '0.5' });
    try {
      const busy = slow.call('/fetch', { body: { url: `${slow.site.url}/slow?ms=2000` } });
      await new Promise((r) => setTimeout(r, 300));
      const t0 = performance.now();
      const refused = await slow.call('/fetch', { body: { url: `${slow.site.url}/article` } });
      expect(refused.status).toBe(503);
      expect(refused.body.error.code).toBe('browser_busy');
      expect(refused.body.error.message).toMatch(/busy/);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(450);
      expect((await busy).status).toBe(200);
    } finally {
      await slow.stop();
    }
  }, 60_000);

  it('a Chromium killed mid-run does not fail fetches started afterwards', async () => {
    const inFlight = Array.from({ length: 6 }, (_, i) => timedFetch(`${rig.site.url}/slow?ms=1500&n=${i}`));
    await new Promise((r) => setTimeout(r, 600));
    const [victim] = chromiumPids();
    expect(victim).toBeDefined();
    process.kill(victim!, 'SIGKILL');
    // Those on the killed browser fail at once with a clear code; the rest finish.
    const outcomes = await Promise.all(inFlight);
    const failed = outcomes.filter((r) => r.status !== 200);
    expect(failed.length).toBeGreaterThanOrEqual(1); // the victim had one
    for (const r of failed) expect(r).toMatchObject({ status: 502, code: 'browser_crashed' });
    // Started after the kill, as many as the pool has sessions: every one succeeds.
    const after = await Promise.all(Array.from({ length: 6 }, (_, i) => timedFetch(`${rig.site.url}/article?after=${i}`)));
    expect(
      after.map((r) => `${r.status} ${r.code ?? ''}`),
      JSON.stringify(after),
    ).toEqual(Array(6).fill('200 '));
    // The replacement comes up in the background.
    let health = (await rig.call('/health')).body;
    for (let i = 0; i < 100 && health.pool.alive < 6; i++) {
      await new Promise((r) => setTimeout(r, 100));
      health = (await rig.call('/health')).body;
    }
    expect(health.pool.replaced).toBeGreaterThanOrEqual(1);
    expect(health.pool.alive).toBe(6);
    expect(chromiumPids()).not.toContain(victim);
  }, 60_000);
});
