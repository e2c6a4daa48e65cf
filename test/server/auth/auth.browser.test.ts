import { describe, expect, it } from 'vitest';
import type { Browser, Page } from 'puppeteer-core';
import { useBrowserFixture } from '../../helpers/chromium.ts';
import { PASSWORD } from '../../helpers/client.ts';

const fx = useBrowserFixture();

async function submit(page: Page, selector: string, values: Record<string, string>) {
  for (const [name, value] of Object.entries(values)) await page.type(`${selector} [name="${name}"]`, value);
  await Promise.all([page.waitForNavigation(), page.click(`${selector} button[type="submit"]`)]);
}

describe('identity in real Chromium', () => {
  it('first visit → setup → signed in as admin → sign out → sign in; a second browser cannot reach setup', async () => {
    const browser: Browser = fx.chromium.browser;
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));

    await page.goto(`${fx.base}/`);
    expect(new URL(page.url()).pathname).toBe('/setup');

    await submit(page, '[data-testid="setup-form"]', {
      token: fx.server.config.ONSITE_BOOTSTRAP_TOKEN!,
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
    await page.goto(`${fx.base}/profile`);
    expect(new URL(page.url()).pathname).toBe('/login');

    await submit(page, '[data-testid="login-form"]', { email: 'grace@example.test', password: PASSWORD });
    expect(new URL(page.url()).pathname).toBe('/profile');
    expect(await page.$eval('[data-testid="whoami"]', (e) => e.textContent)).toMatch(/grace@example\.test/);

    const other = await browser.createBrowserContext();
    const second = await other.newPage();
    const res = await second.goto(`${fx.base}/setup`);
    expect(res?.status()).toBe(410);
    expect(await second.$eval('[data-testid="message"]', (e) => e.textContent)).toMatch(/already set up/);
    await second.goto(`${fx.base}/`);
    expect(new URL(second.url()).pathname).toBe('/login');
    await other.close();
    expect(errors).toEqual([]);
  });
});
