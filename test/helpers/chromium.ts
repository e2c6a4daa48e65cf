import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll } from 'vitest';
import { QUIET_CHROMIUM_FLAGS } from '../../browser/chromium.ts';
import { startMiner, type RunningMiner } from '../../miner/start.ts';
import { createLogger } from '../../server/kernel/log.ts';
import type { PageFetcher } from '../../server/browser-client/browser-client.service.ts';
import { startServer, type RunningServer } from '../../server/cli/serve.ts';
import type { Env } from '../../server/config.ts';
import { tempDir, validEnv } from './env.ts';
import { freePort } from './processes.ts';
import { PASSWORD } from './client.ts';
import { TEST_KEYRING } from './license.ts';
import { captureLog } from './server.ts';
import { until } from './stack.ts';

/** Debian's Chromium, installed by test/run.sh. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Launches the real Chromium headless with the flags that keep it off the
 * network (no background traffic, no component updates) and a fresh profile.
 * Fails loudly when Chromium is missing: browser tests are never skipped.
 */
export async function launchChromium(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: run test/run.sh as root or apt-get install chromium`);
  const profile = mkdtempSync(join(tmpdir(), 'onsite-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: profile,
    args: [...QUIET_CHROMIUM_FLAGS],
  });
  return {
    browser,
    close: async () => {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A real server on loopback plus a Chromium, for browser tests. */
export interface BrowserFixture {
  server: RunningServer;
  chromium: Awaited<ReturnType<typeof launchChromium>>;
  base: string;
  close(): Promise<void>;
}

/** Options of the browser fixture: more environment, and pages read in-process instead of by the sidecar. */
export interface BrowserFixtureOptions {
  env?: Env;
  pages?: PageFetcher;
}

/** Starts the server on a free loopback port (test license keys trusted) and launches Chromium. */
export async function startBrowserFixture(options: BrowserFixtureOptions = {}): Promise<BrowserFixture> {
  const tmp = tempDir();
  // APP_BASE_URL is the address Chromium opens: the only origin the CSRF check accepts here.
  const port = await freePort();
  const server = await startServer(validEnv(tmp.dir, { PORT: String(port), APP_BASE_URL: `http://127.0.0.1:${port}`, HOST: '127.0.0.1', ...options.env }), {
    log: captureLog([], 'warn').log,
    assemble: { keyring: TEST_KEYRING, pages: options.pages },
  });
  const chromium = await launchChromium();
  return {
    server,
    chromium,
    base: `http://127.0.0.1:${server.port}`,
    async close() {
      await chromium.close();
      await server.stop();
      tmp.cleanup();
    },
  };
}

/**
 * Registers the fixture's start and stop around a test file; the returned
 * object is filled in before the first test runs.
 */
export function useBrowserFixture(options: BrowserFixtureOptions = {}): BrowserFixture {
  const fx = {} as BrowserFixture;
  beforeAll(async () => {
    Object.assign(fx, await startBrowserFixture(options));
  }, 60_000);
  afterAll(() => fx.close?.());
  return fx;
}

/** Claims the first admin through the /setup form in the page, as a person would. */
export async function claimInBrowser(page: Page, base: string, token: string, who: { name: string; email: string; password: string }): Promise<void> {
  await page.goto(`${base}/setup`);
  for (const [name, value] of Object.entries({ token, ...who })) await page.type(`[name="${name}"]`, value);
  await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
}

/** A JSON reply body, loosely typed for brevity in assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- replies are checked field by field in each test
export type ApiBody = any;

/** Calls the JSON API from inside a signed-in page, with its session cookie and CSRF token. */
export function pageApi(page: Page, method: string, path: string, body?: unknown): Promise<{ status: number; body: ApiBody }> {
  return page.evaluate(
    async (method, path, body) => {
      const token = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
      const r = await fetch(path, {
        method,
        headers: { 'content-type': 'application/json', 'x-csrf-token': token },
        body: body === undefined ? null : JSON.stringify(body),
      });
      return { status: r.status, body: await r.json().catch(() => null) };
    },
    method,
    path,
    body,
  );
}

/** A miner (in-process) in front of `ollamaUrl`, enrolled with the fixture's server by its secret. */
export function startFixtureMiner(fx: BrowserFixture, ollamaUrl: string, workerId: string, stateDir: string): Promise<RunningMiner> {
  return startMiner(
    {
      SERVER_URL: fx.base,
      OLLAMA_HOST: ollamaUrl,
      MINER_ENROLLMENT_SECRET: fx.server.config.MINER_ENROLLMENT_SECRET,
      MINER_STATE_DIR: stateDir,
      MINER_HEARTBEAT_INTERVAL: '1',
      WORKER_ID: workerId,
      PORT: '0',
      HOST: '127.0.0.1',
    },
    { log: createLogger({ level: 'silent', secrets: [] }), version: 'test' },
  );
}

/** Waits until the admin's page lists a healthy miner (connected, its Ollama answering). */
export async function untilHealthyMiner(page: Page): Promise<void> {
  await until(
    async () => ((await pageApi(page, 'GET', '/api/miners')).body.miners as Array<{ healthy: boolean }>).some((m) => m.healthy),
    15_000,
    'a healthy miner',
  );
}

/** A new page that claims the first admin (Ada) and records every console error and page error. */
export async function adminPage(fx: BrowserFixture, consoleErrors: string[]): Promise<Page> {
  const page = await fx.chromium.browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await claimInBrowser(page, fx.base, fx.server.config.ONSITE_BOOTSTRAP_TOKEN!, { name: 'Ada Admin', email: 'ada@example.test', password: PASSWORD });
  return page;
}
