import { describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { decodeRequestCode } from '../../../licenses/request-code.ts';
import { adminPage, pageApi, useBrowserFixture } from '../../helpers/chromium.ts';
import { PASSWORD } from '../../helpers/client.ts';
import { issueCode } from '../../helpers/license.ts';

const fx = useBrowserFixture();

async function signIn(page: Page, email: string) {
  await page.goto(`${fx.base}/login`);
  await page.type('[name="email"]', email);
  await page.type('[name="password"]', PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('[data-testid="login-form"] button[type="submit"]')]);
}

const pickerModels = (page: Page) => page.$$eval('[data-testid="model-picker"] option', (os) => os.map((o) => o.value));

describe('groups in real Chromium', () => {
  it('an admin makes a group, adds members in bulk and restricts a model; the model picker follows', async () => {
    const errors: string[] = [];
    const admin = await adminPage(fx, errors);
    const request = await pageApi(admin, 'POST', '/api/license/request', {});
    expect(
      (await pageApi(admin, 'POST', '/api/license/install', { code: issueCode(decodeRequestCode(request.body.code).installationId, { seats: 10 }) })).status,
    ).toBe(200);
    for (const name of ['general', 'legal-llm'])
      expect((await pageApi(admin, 'POST', '/api/models', { name, kind: 'chat', contextLength: 4096 })).status).toBe(201);
    for (const email of ['bob@example.test', 'carol@example.test', 'dan@example.test'])
      expect((await pageApi(admin, 'POST', '/api/users', { email, name: email.split('@')[0], role: 'user', password: PASSWORD })).status).toBe(201);

    await admin.goto(`${fx.base}/admin/groups`);
    await admin.type('[data-testid="new-group"] [name="name"]', 'Legal');
    await Promise.all([admin.waitForNavigation(), admin.click('[data-testid="new-group"] button[type="submit"]')]);
    await Promise.all([admin.waitForNavigation(), admin.click('tr[data-group="Legal"] a')]);

    // Bulk add: two members chosen at once in the multi-select.
    const options = await admin.$$eval('[data-testid="add-members"] option', (os) => os.map((o) => ({ value: o.value, text: o.textContent })));
    const chosen = options.filter((o) => o.text === 'bob@example.test' || o.text === 'dan@example.test').map((o) => o.value);
    await admin.select('[data-testid="add-members"]', ...chosen);
    await Promise.all([admin.waitForNavigation(), admin.click('[data-testid="members"] button[type="submit"]')]);
    expect(await admin.$$eval('tr[data-member]', (rs) => rs.map((r) => r.getAttribute('data-member')))).toEqual(['bob@example.test', 'dan@example.test']);

    await admin.click('[data-testid="group-models"] input[value="legal-llm"]');
    await Promise.all([admin.waitForNavigation(), admin.click('[data-testid="group-models"] button[type="submit"]')]);
    expect(await admin.$eval('[data-testid="group-models"] input[value="legal-llm"]', (i) => i.checked)).toBe(true);

    // Bulk remove: tick Dan and submit.
    await admin.click('input[aria-label="remove dan@example.test"]');
    await Promise.all([admin.waitForNavigation(), admin.click('[data-testid="members"] button[type="submit"]')]);
    expect(await admin.$$eval('tr[data-member]', (rs) => rs.map((r) => r.getAttribute('data-member')))).toEqual(['bob@example.test']);

    for (const [email, sees] of [
      ['bob@example.test', ['general', 'legal-llm']],
      ['carol@example.test', ['general']],
      ['dan@example.test', ['general']],
    ] as const) {
      const context = await fx.chromium.browser.createBrowserContext();
      const page = await context.newPage();
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      await signIn(page, email);
      await page.goto(`${fx.base}/chat`);
      expect((await pickerModels(page)).sort(), email).toEqual([...sees]);
      await context.close();
    }
    expect(errors).toEqual([]);
  });
});
