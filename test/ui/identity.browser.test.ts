import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'puppeteer-core';
import { startServer, type RunningServer } from '../../server/cli/serve.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { PASSWORD } from '../helpers/client.ts';
import { tempDir, validEnv } from '../helpers/env.ts';
import { captureLog } from '../helpers/server.ts';

const tmp = tempDir();
let server: RunningServer;
let chromium: Awaited<ReturnType<typeof launchChromium>>;
let base = '';

beforeAll(async () => {
  server = await startServer(validEnv(tmp.dir, { PORT: '0', HOST: '127.0.0.1' }), { log: captureLog([], 'warn').log });
  base = `http://127.0.0.1:${server.port}`;
  chromium = await launchChromium();
});
afterAll(async () => {
  await chromium?.close();
  await server?.stop();
  tmp.cleanup();
});

async function submit(page: Page, selector: string, values: Record<string, string>) {
  for (const [name, value] of Object.entries(values)) await page.type(`${selector} [name="${name}"]`, value);
  await Promise.all([page.waitForNavigation(), page.click(`${selector} button[type="submit"]`)]);
}

describe('identity in real Chromium', () => {
  it('first visit → setup → signed in as admin → sign out → sign in; a second browser cannot reach setup', async () => {
    const browser: Browser = chromium.browser;
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));

    await page.goto(`${base}/`);
    expect(new URL(page.url()).pathname).toBe('/setup');

    await submit(page, '[data-testid="setup-form"]', {
      token: server.config.ONSITE_BOOTSTRAP_TOKEN!,
      name: 'Grace Admin',
      email: 'grace@example.test',
      password: PASSWORD,
    });
    expect(new URL(page.url()).pathname, await page.$eval('body', (e) => e.textContent)).toBe('/');
    expect(await page.$eval('[data-testid="signed-in-as"]', (e) => e.textContent)).toMatch(/grace@example\.test \(admin\)/);
    const cookies = await page.browserContext().cookies();
    expect(cookies.find((c) => c.name === 'onsite_session')).toMatchObject({ httpOnly: true, sameSite: 'Lax' });

    await Promise.all([page.waitForNavigation(), page.click('[data-testid="sign-out"]')]);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.goto(`${base}/profile`);
    expect(new URL(page.url()).pathname).toBe('/login');

    await submit(page, '[data-testid="login-form"]', { email: 'grace@example.test', password: PASSWORD });
    expect(new URL(page.url()).pathname).toBe('/profile');
    expect(await page.$eval('[data-testid="whoami"]', (e) => e.textContent)).toMatch(/grace@example\.test/);
    await page.screenshot({ path: `${tmp.dir}/profile.png` });

    const other = await browser.createBrowserContext();
    const second = await other.newPage();
    const res = await second.goto(`${base}/setup`);
    expect(res?.status()).toBe(410);
    expect(await second.$eval('[data-testid="message"]', (e) => e.textContent)).toMatch(/already set up/);
    await second.goto(`${base}/`);
    expect(new URL(second.url()).pathname).toBe('/login');
    await other.close();
    expect(errors).toEqual([]);
  });
});
