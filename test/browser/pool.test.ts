import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import type { Browser } from 'puppeteer-core';
import { afterEach, describe, expect, it } from 'vitest';
import { chromiumArgs, launchChromium } from '../../browser/chromium.ts';
import { BrowserPool, type Lease, type PoolOptions } from '../../browser/pool.ts';
import { AppError } from '../../server/kernel/errors.ts';
import { createLogger } from '../../server/kernel/log.ts';
import { FETCH_ERROR_STATUS, type FetchErrorCode } from '../../server/kernel/protocol/browser.ts';

// Real Chromium; the proxy is a loopback port where nothing listens, since
// these tests load no page. Launches are slow on a 2-core machine.
const CHROMIUM = '/usr/bin/chromium';
const DEAD_PROXY = 'http://127.0.0.1:9';
const SLOW = 30_000;

let pool: BrowserPool | undefined;
let logLines: string[] = [];
let launched: Browser[] = [];
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

function makePool(o: Partial<PoolOptions>): BrowserPool {
  logLines = [];
  launched = [];
  const destination = new Writable({ write: (chunk, _enc, done) => (logLines.push(String(chunk)), done()) });
  const log = createLogger({ level: 'debug', destination });
  pool = new BrowserPool({
    size: 1,
    maxSessions: 1,
    waitMs: 15_000,
    maxUses: 1000,
    launch: async () => {
      const browser = await launchChromium({ chromePath: CHROMIUM, proxyUrl: DEAD_PROXY, log });
      launched.push(browser);
      return browser;
    },
    log,
    ...o,
  });
  return pool;
}

/** Polls `check` every 25 ms until it holds. */
async function until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const pidOf = (b: Browser) => b.process()!.pid!;

// Running, not a zombie nobody reaped.
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

/** The process and every process below it (renderers, zygotes, helpers). */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      // The process ended while we looked.
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []));
  return tree;
}

function settledState<T>(p: Promise<T>): { value?: T; error?: unknown; done: boolean } {
  const state: { value?: T; error?: unknown; done: boolean } = { done: false };
  p.then(
    (value) => Object.assign(state, { value, done: true }),
    (error: unknown) => Object.assign(state, { error, done: true }),
  );
  return state;
}

describe('browser pool', () => {
  it(
    'lends at most maxSessions leases across the browsers and serves waiters in order',
    async () => {
      const p = makePool({ size: 2, maxSessions: 3 });
      await p.start();
      expect(p.stats()).toMatchObject({ status: 'ok', size: 2, alive: 2, launched: 2, active: 0 });

      let out = 0;
      let most = 0;
      const order: number[] = [];
      const states = Array.from({ length: 5 }, (_, i) =>
        settledState(
          p.acquire().then((lease) => {
            order.push(i);
            most = Math.max(most, ++out);
            return lease;
          }),
        ),
      );
      await until(() => states.filter((s) => s.done).length === 3, 'three leases');
      await new Promise((r) => setTimeout(r, 200));
      expect(states.map((s) => s.done)).toEqual([true, true, true, false, false]);
      expect(p.stats()).toMatchObject({ active: 3, waiting: 2, served: 3 });
      const first = states.slice(0, 3).map((s) => s.value!.browser);
      expect(new Set(first).size).toBe(2);

      const release = (i: number) => {
        out--;
        states[i]!.value!.release();
      };
      release(1);
      await until(() => states[3]!.done, 'the fourth caller');
      expect(states[4]!.done).toBe(false);
      release(0);
      await until(() => states[4]!.done, 'the fifth caller');
      expect(order).toEqual([0, 1, 2, 3, 4]);
      expect(most).toBe(3);
      expect(p.stats()).toMatchObject({ active: 3, waiting: 0, served: 5 });
      for (const i of [2, 3, 4]) release(i);
      expect(p.stats().active).toBe(0);
    },
    SLOW,
  );

  it(
    'answers browser_busy after waitMs when every session is out, and drops aborted waiters',
    async () => {
      const p = makePool({ size: 1, maxSessions: 1, waitMs: 300 });
      await p.start();
      const held = await p.acquire();
      const started = Date.now();
      const err = await p.acquire().catch((e: unknown) => e);
      const waited = Date.now() - started;
      expect(err).toBeInstanceOf(AppError);
      expect(err).toMatchObject({ code: 'browser_busy' });
      expect(FETCH_ERROR_STATUS[(err as AppError<FetchErrorCode>).code]).toBe(503);
      expect((err as Error).message).toMatch(/all 1 browser sessions are busy.*BROWSER_SESSION_MAX_COUNT/);
      expect(waited).toBeGreaterThanOrEqual(280);
      expect(waited).toBeLessThan(2_500);

      const controller = new AbortController();
      const aborted = p.acquire(controller.signal).catch((e: unknown) => e);
      expect(p.stats().waiting).toBe(1);
      controller.abort(new Error('caller gone'));
      expect(await aborted).toMatchObject({ message: 'caller gone' });
      expect(p.stats().waiting).toBe(0);
      held.release();
      (await p.acquire()).release();
    },
    SLOW,
  );

  it(
    'replaces a browser killed with SIGKILL while a lease is out on it',
    async () => {
      const p = makePool({ size: 2, maxSessions: 4 });
      await p.start();
      const doomed = await p.acquire();
      const pid = pidOf(doomed.browser);
      doomed.browser.process()!.kill('SIGKILL');
      await until(() => p.stats().replaced === 1, 'the pool to notice the crash');

      const leases: Lease[] = [];
      for (let i = 0; i < 3; i++) leases.push(await p.acquire());
      for (const lease of leases) {
        expect(lease.browser).not.toBe(doomed.browser);
        expect(lease.browser.connected).toBe(true);
      }
      await until(() => p.stats().alive === 2, 'a replacement');
      expect(p.stats()).toMatchObject({ status: 'ok', launched: 3, replaced: 1, active: 4 });
      expect(running(pid)).toBe(false);
      doomed.release();
      for (const lease of leases) lease.release();
      expect(p.stats().active).toBe(0);
      expect(logLines.join('')).toMatch(/exited unexpectedly/);
    },
    SLOW,
  );

  it(
    'keeps a caller waiting for the replacement when its only browser dies',
    async () => {
      const p = makePool({ size: 1, maxSessions: 2 });
      await p.start();
      const first = await p.acquire();
      first.browser.process()!.kill('SIGKILL');
      await until(() => p.stats().alive === 0, 'the pool to notice the crash');
      expect(p.stats().status).toBe('down');
      const next = await p.acquire();
      expect(next.browser).not.toBe(first.browser);
      expect(next.browser.connected).toBe(true);
      expect(p.stats()).toMatchObject({ status: 'ok', launched: 2, replaced: 1 });
      first.release();
      next.release();
    },
    SLOW,
  );

  it(
    'retires a browser after maxUses leases, once they are back, and launches another',
    async () => {
      const p = makePool({ size: 1, maxSessions: 2, maxUses: 2 });
      await p.start();
      const a = await p.acquire();
      const b = await p.acquire();
      expect(b.browser).toBe(a.browser);
      const oldPid = pidOf(a.browser);
      const third = settledState(p.acquire());
      a.release();
      await new Promise((r) => setTimeout(r, 300));
      expect(third.done).toBe(false);
      expect(running(oldPid)).toBe(true);
      b.release();
      await until(() => third.done, 'a lease on the replacement');
      const c = third.value!;
      expect(c.browser).not.toBe(a.browser);
      expect(pidOf(c.browser)).not.toBe(oldPid);
      expect(running(oldPid)).toBe(false);
      expect(p.stats()).toMatchObject({ launched: 2, replaced: 1, served: 3, active: 1 });
      c.release();
    },
    SLOW,
  );

  it(
    'kills and replaces a browser released as broken, and counts a second release as nothing',
    async () => {
      const p = makePool({ size: 1, maxSessions: 2 });
      await p.start();
      const lease = await p.acquire();
      const pid = pidOf(lease.browser);
      lease.release({ broken: true });
      lease.release({ broken: true });
      expect(p.stats().active).toBe(0);
      await until(() => !running(pid), 'the broken browser to die');
      const next = await p.acquire();
      expect(pidOf(next.browser)).not.toBe(pid);
      expect(p.stats()).toMatchObject({ alive: 1, launched: 2, replaced: 1 });
      next.release();
    },
    SLOW,
  );

  it(
    'close() rejects waiters and leaves no Chromium process or profile behind',
    async () => {
      const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
      const timersBefore = timers();
      const p = makePool({ size: 2, maxSessions: 1 });
      await p.start();
      const held = await p.acquire();
      const waiter = p.acquire().catch((e: unknown) => e);
      expect(timers()).toBeGreaterThan(timersBefore);
      expect(launched).toHaveLength(2);
      const pids = launched.flatMap((b) => processTree(pidOf(b)));
      const profiles = launched.map((b) => /^--user-data-dir=(.+)$/.exec(b.process()!.spawnargs.find((a) => a.startsWith('--user-data-dir='))!)![1]!);
      // A main process, a zygote or two, a utility process each, at least.
      expect(pids.filter(running).length).toBeGreaterThanOrEqual(4);
      expect(profiles.every((d) => existsSync(d))).toBe(true);

      await p.close();
      expect(await waiter).toMatchObject({ code: 'browser_busy', message: expect.stringMatching(/shutting down/) });
      expect(await p.acquire().catch((e: unknown) => e)).toBeInstanceOf(AppError);
      // The helpers die of the SIGKILL sent to the group a moment after the main process.
      await until(() => pids.every((pid) => !running(pid)), 'every Chromium process to exit', 5_000);
      await until(() => profiles.every((d) => !existsSync(d)), 'profiles to be removed', 5_000);
      held.release();
      expect(p.stats()).toMatchObject({ status: 'down', alive: 0, active: 0, waiting: 0 });
      expect(timers()).toBeLessThanOrEqual(timersBefore);
    },
    SLOW,
  );
});

describe('launchChromium', () => {
  it('names the path when Chromium is missing', async () => {
    await expect(launchChromium({ chromePath: '/nonexistent/chromium', proxyUrl: DEAD_PROXY })).rejects.toThrow(/\/nonexistent\/chromium/);
  });

  it('sends everything, loopback included, through the proxy and resolves no name itself', () => {
    const args = chromiumArgs('http://127.0.0.1:8931');
    expect(args).toContain('--proxy-server=http://127.0.0.1:8931');
    expect(args).toContain('--proxy-bypass-list=<-loopback>');
    // Without the EXCLUDE, Chromium cannot reach the proxy itself.
    expect(args).toContain('--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1');
    expect(args).toEqual(expect.arrayContaining(['--disable-quic', '--no-sandbox', '--force-webrtc-ip-handling-policy=disable_non_proxied_udp']));
  });
});
