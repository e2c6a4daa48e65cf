import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMiner, type RunningMiner } from '../../../miner/start.ts';
import type { PageFetcher } from '../../../server/browser-client/browser-client.service.ts';
import { AppError } from '../../../server/kernel/errors.ts';
import { createLogger } from '../../../server/kernel/log.ts';
import { VERSION } from '../../../server/version.ts';
import { startFakeOllama, type FakeOllama } from '../../fixtures/ollama/server.ts';
import { claimInBrowser, useBrowserFixture } from '../../helpers/chromium.ts';
import { PASSWORD } from '../../helpers/client.ts';
import { tempDir } from '../../helpers/env.ts';

const MODEL = 'llama3.2:1b';
const LAST_ANSWER = '[data-testid="messages"] > article[data-role="assistant"]:last-child';

// Pages are read in-process here: this file is about what the UI shows. The
// real sidecar is exercised in test/e2e/browser-chat.e2e.test.ts.
const pages: PageFetcher = {
  async fetchPage({ url }) {
    const base = { url, status: 200, textTruncated: false, links: [], blocked: [], bytes: 10, elapsedMs: 1 };
    if (url === 'https://docs.test/guide')
      return { ...base, finalUrl: 'https://docs.test/guide/', title: 'The <b>Guide</b>', text: 'Onsite keeps data local.' };
    if (url === 'https://odd.test/') return { ...base, finalUrl: 'javascript:alert(1)', title: 'Click me', text: 'Odd page.' };
    throw new AppError('page_fetch_failed', `net::ERR_NAME_NOT_RESOLVED at ${url}`);
  },
};
const fx = useBrowserFixture({ pages });
let fake: FakeOllama;
let miner: RunningMiner;
let minerState: ReturnType<typeof tempDir>;
let page: Page;
const consoleErrors: string[] = [];

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 15_000) {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The sources under the last answer: status, text, and the link of each. */
const sourcesOfLastAnswer = () =>
  page.$$eval(`${LAST_ANSWER} [data-testid="source"]`, (items) =>
    items.map((li) => {
      const a = li.querySelector('a');
      return {
        status: li.getAttribute('data-status'),
        text: li.textContent,
        href: a?.getAttribute('href') ?? null,
        rel: a?.getAttribute('rel') ?? null,
        target: a?.getAttribute('target') ?? null,
        bold: li.querySelectorAll('b').length,
      };
    }),
  );

beforeAll(async () => {
  fake = await startFakeOllama({ tokensPerSecond: 10 });
  minerState = tempDir('onsite-miner-');
  miner = await startMiner(
    {
      SERVER_URL: fx.base,
      OLLAMA_HOST: fake.url,
      MINER_ENROLLMENT_SECRET: fx.server.config.MINER_ENROLLMENT_SECRET,
      MINER_STATE_DIR: minerState.dir,
      MINER_HEARTBEAT_INTERVAL: '1',
      WORKER_ID: 'ui-worker',
      PORT: '0',
      HOST: '127.0.0.1',
    },
    { log: createLogger({ level: 'silent', secrets: [] }), version: 'test' },
  );
  page = await fx.chromium.browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await claimInBrowser(page, fx.base, fx.server.config.ONSITE_BOOTSTRAP_TOKEN!, { name: 'Sam Admin', email: 'sam@example.test', password: PASSWORD });
  const api = (method: string, path: string, body?: unknown) =>
    page.evaluate(
      async (method, path, body) => {
        const token = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
        const r = await fetch(path, {
          method,
          headers: { 'content-type': 'application/json', 'x-csrf-token': token },
          body: body === undefined ? null : JSON.stringify(body),
        });
        return { status: r.status, body: (await r.json().catch(() => null)) as { miners?: Array<{ healthy: boolean }> } | null };
      },
      method,
      path,
      body,
    );
  await until(async () => ((await api('GET', '/api/miners')).body?.miners ?? []).some((m) => m.healthy), 'a healthy miner');
  expect((await api('POST', '/api/models', { name: MODEL, kind: 'chat', contextLength: 4096, isDefault: true })).status).toBe(201);
}, 60_000);

afterAll(async () => {
  await miner?.stop();
  await fake?.close();
  minerState?.cleanup();
});

describe('system page and web sources in real Chromium', () => {
  it('the admin system page shows the checks, the browser service, the license and the versions', async () => {
    await page.goto(`${fx.base}/`);
    await Promise.all([page.waitForNavigation(), page.click('[data-testid="system-link"]')]);
    expect(new URL(page.url()).pathname).toBe('/admin/system');
    // No sidecar listens at the test address: degraded, not failing.
    expect(await page.$eval('[data-testid="system-status"]', (e) => e.textContent)).toBe('degraded');
    const rows = await page.$$eval('[data-testid="check-row"]', (trs) =>
      Object.fromEntries(trs.map((tr) => [tr.getAttribute('data-name'), Array.from(tr.querySelectorAll('td'), (td) => td.textContent)])),
    );
    expect(rows.database?.[1]).toBe('ok');
    expect(rows.miners?.[1]).toBe('ok');
    expect(rows.browser?.slice(1, 3)).toEqual(['degraded', 'browser_unreachable']);
    expect(rows.license?.[1]).toBe('ok');
    expect(await page.$eval('[data-testid="browser-state"]', (e) => e.textContent)).toBe('browser_unreachable');
    expect(await page.$eval('[data-testid="browser-message"]', (e) => e.textContent)).toMatch(/cannot be reached \(ECONNREFUSED\)\. Chats still answer/);
    expect(await page.$eval('[data-testid="browser-client"]', (e) => e.textContent)).toMatch(/0 of 6 page fetches in use, 0 waiting/);
    expect(await page.$('[data-testid="browser-pool"]')).toBeNull();
    expect(await page.$eval('[data-testid="license-mode"]', (e) => e.textContent)).toBe('evaluation');
    expect(await page.$eval('[data-testid="versions"]', (e) => e.textContent)).toContain(VERSION);
    expect(await page.$eval('[data-testid="browser-version"]', (e) => e.textContent)).toBe('unknown (not answering)');
    await page.screenshot({ path: '/tmp/onsite-system.png', fullPage: true });
  });

  it('an answer lists its web sources, live and after a reload; titles are text, links open safely', async () => {
    await page.goto(`${fx.base}/chat`);
    await page.type('[data-testid="composer-input"]', 'Summarise https://docs.test/guide and http://unreadable.test/x');
    await page.keyboard.press('Enter');
    // The sources arrive before the first token, so they show while the answer streams.
    await page.waitForSelector(`${LAST_ANSWER}[data-status="streaming"] [data-testid="message-sources"]`, { timeout: 15_000 });
    await page.waitForSelector(`${LAST_ANSWER}[data-status="complete"]`, { timeout: 15_000 });
    const expected = [
      { status: 'ok', text: '[1] The <b>Guide</b>docs.test', href: 'https://docs.test/guide/', rel: 'noopener noreferrer', target: '_blank', bold: 0 },
      {
        status: 'failed',
        text: '[2] could not read http://unreadable.test/x: net::ERR_NAME_NOT_RESOLVED at http://unreadable.test/x',
        href: 'http://unreadable.test/x',
        rel: 'noopener noreferrer',
        target: '_blank',
        bold: 0,
      },
    ];
    expect(await sourcesOfLastAnswer()).toEqual(expected);
    await page.reload();
    expect(await sourcesOfLastAnswer()).toEqual(expected);

    // A page that ended up somewhere odd is named, never linked.
    await page.type('[data-testid="composer-input"]', 'And https://odd.test/?');
    await page.keyboard.press('Enter');
    await page.waitForSelector(`${LAST_ANSWER}[data-status="complete"] [data-testid="message-sources"]`, { timeout: 15_000 });
    expect(await sourcesOfLastAnswer()).toEqual([{ status: 'ok', text: '[1] Click me', href: null, rel: null, target: null, bold: 0 }]);
    await page.reload();
    expect(await sourcesOfLastAnswer()).toEqual([{ status: 'ok', text: '[1] Click me', href: null, rel: null, target: null, bold: 0 }]);
    await page.screenshot({ path: '/tmp/onsite-sources.png', fullPage: true });
    expect(consoleErrors).toEqual([]);
  });
});
