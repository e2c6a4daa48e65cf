import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningMiner } from '../../../miner/start.ts';
import { expectedReply, startFakeOllama, type FakeOllama } from '../../fixtures/ollama/server.ts';
import { adminPage, pageApi, startFixtureMiner, untilHealthyMiner, useBrowserFixture } from '../../helpers/chromium.ts';
import { tempDir } from '../../helpers/env.ts';

const MODEL = 'llama3.2:1b';
const ANSWER = '[data-testid="message"][data-role="assistant"]';
const fx = useBrowserFixture();
let fake: FakeOllama;
let miner: RunningMiner;
let minerState: ReturnType<typeof tempDir>;
let page: Page;
const consoleErrors: string[] = [];

/** Calls the JSON API from the page (see pageApi). */
const api = (method: string, path: string, body?: unknown) => pageApi(page, method, path, body);

const texts = (selector: string) => page.$$eval(selector, (els) => els.map((e) => e.textContent ?? ''));
const lastAnswerText = () => page.$eval('[data-testid="messages"] > article:last-child [data-testid="message-body"]', (e) => e.textContent ?? '');
const waitLastAnswer = (status: string) =>
  page.waitForSelector(`[data-testid="messages"] > ${ANSWER}:last-child[data-status="${status}"]`, { timeout: 15_000 });

/** The conversation as the API has it. */
async function stored(id: string): Promise<Array<{ role: string; content: string; status: string }>> {
  return (await api('GET', `/api/conversations/${id}`)).body.messages;
}

/** A question whose deterministic reply carries markdown (bold or a code span), with HTML and a remote image in it. */
function markdownQuestion(): string {
  for (let i = 0; ; i++) {
    const q = `Explain <b>this</b> <script>window.bad=1</script> ![pic](http://127.0.0.1:9/p.png) #${i}`;
    if (/\*\*|`/.test(expectedReply(MODEL, q).join(''))) return q;
  }
}

beforeAll(async () => {
  fake = await startFakeOllama({ tokensPerSecond: 20 });
  minerState = tempDir('onsite-miner-');
  miner = await startFixtureMiner(fx, fake.url, 'ui-worker', minerState.dir);
  page = await adminPage(fx, consoleErrors);
  await untilHealthyMiner(page);
  const added = await api('POST', '/api/models', { name: MODEL, kind: 'chat', contextLength: 4096, isDefault: true });
  expect(added.status, JSON.stringify(added.body)).toBe(201);
}, 60_000);

afterAll(async () => {
  await miner?.stop();
  await fake?.close();
  minerState?.cleanup();
});

describe('chat and model admin in real Chromium', () => {
  it('admin sees the miner healthy, adds an offered model, makes a registration token', async () => {
    await page.goto(`${fx.base}/admin/miners`);
    const row = '[data-testid="miner-row"][data-worker="ui-worker"]';
    expect(await page.$eval(`${row} [data-testid="miner-status"]`, (e) => e.textContent)).toBe('active');
    expect(await page.$eval(`${row} [data-testid="miner-connection"]`, (e) => e.textContent)).toBe('connected, healthy');
    expect(await page.$eval(row, (e) => e.textContent)).toContain(MODEL);

    await page.screenshot({ path: '/tmp/onsite-miners.png', fullPage: true });
    await page.type('[data-testid="token-form"] [name="label"]', 'branch office');
    await Promise.all([page.waitForNavigation(), page.click('[data-testid="token-form"] button[type="submit"]')]);
    expect(await page.$eval('[data-testid="miner-env"]', (e) => e.textContent)).toMatch(/^SERVER_URL=http.+\nMINER_REGISTRATION_TOKEN=omr_\S+\nonsite miner$/);

    await page.goto(`${fx.base}/admin/models`);
    expect(await page.$eval(`[data-testid="model-row"][data-name="${MODEL}"]`, (e) => e.getAttribute('data-default'))).toBe('true');
    const offered = '[data-testid="available-row"][data-name^="nomic-embed-text"]';
    await Promise.all([page.waitForNavigation(), page.click(`${offered} [data-testid="add-available"]`)]);
    expect(await page.$eval('.notice.info', (e) => e.textContent)).toMatch(/Added nomic-embed-text.*embedding/);
    const embed = await page.$eval('[data-testid="model-row"][data-name^="nomic-embed-text"]', (e) => e.textContent);
    expect(embed).toMatch(/embedding.*768/);
    expect(await page.$(offered)).toBeNull();
    await page.screenshot({ path: '/tmp/onsite-models.png', fullPage: true });
  });

  it('streams, stops, regenerates, edits and resends, and shows the history after a reload', async () => {
    await page.goto(`${fx.base}/chat`);
    expect(await page.$eval('[data-testid="model-picker"]', (e) => (e as HTMLSelectElement).value)).toBe(MODEL);
    expect(await page.$$('[data-testid="conversation-item"]')).toHaveLength(0);

    // First exchange: markdown rendered by the server, the question shown as text.
    const q0 = markdownQuestion();
    await page.type('[data-testid="composer-input"]', q0);
    await page.keyboard.press('Enter');
    await waitLastAnswer('complete');
    const id = new URL(page.url()).pathname.split('/')[2]!;
    expect(page.url()).toBe(`${fx.base}/chat/${id}`);
    expect((await stored(id))[1]!.content).toBe(expectedReply(MODEL, q0).join(''));
    expect(await page.$$(`${ANSWER} strong, ${ANSWER} code`)).not.toHaveLength(0);
    expect(await texts('[data-role="user"] [data-testid="message-body"]')).toEqual([q0]);
    const unsafe = await page.$$eval('[data-testid="messages"] script, [data-testid="messages"] b, img', (els) => els.map((e) => e.outerHTML));
    expect(unsafe.filter((h) => !h.includes('/static/logo.svg'))).toEqual([]);
    expect(await page.evaluate(() => (window as unknown as { bad?: number }).bad)).toBeUndefined();
    const title = q0.replace(/\s+/g, ' ').trim().slice(0, 60);
    await page.waitForFunction((t) => document.querySelector('[data-testid="conversation-link"]')?.textContent === t, {}, title);
    expect(await texts('[data-testid="conversation-link"]')).toEqual([title]);

    // Second question: the answer grows token by token until Stop.
    fake.setTokensPerSecond(10);
    const q1 = 'What does the appliance keep private?';
    await page.type('[data-testid="composer-input"]', q1);
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      (sel) => (document.querySelector(sel)?.textContent ?? '').length > 0,
      {},
      `${ANSWER}[data-status="streaming"] [data-testid="message-body"]`,
    );
    const first = await lastAnswerText();
    await new Promise((r) => setTimeout(r, 500));
    const second = await lastAnswerText();
    expect(second.length).toBeGreaterThan(first.length);
    expect(second.startsWith(first)).toBe(true);
    expect(await page.$eval('[data-testid="send"]', (e) => (e as HTMLButtonElement).disabled)).toBe(true);
    await page.click('[data-testid="stop"]');
    await waitLastAnswer('stopped');
    await fake.waitFor((r) => r.outcome === 'cancelled');
    expect(await page.$eval(`${ANSWER}:last-child [data-testid="message-marker"]`, (e) => e.textContent)).toMatch(
      /^Stopped: stopped by the user\. The text above/,
    );
    await page.waitForFunction(
      () =>
        (document.querySelector('[data-testid="stop"]') as HTMLButtonElement).hidden &&
        !(document.querySelector('[data-testid="send"]') as HTMLButtonElement).disabled,
    );
    const partial = (await stored(id))[3]!;
    expect(partial.status).toBe('stopped');
    expect(expectedReply(MODEL, q1).join('').startsWith(partial.content)).toBe(true);
    expect(partial.content.length).toBeLessThan(expectedReply(MODEL, q1).join('').length);

    // After a reload the stopped answer is still marked; Regenerate answers again in full.
    fake.setTokensPerSecond(20);
    await page.reload();
    expect(await page.$eval('[data-testid="messages"] > article:last-child', (e) => e.getAttribute('data-status'))).toBe('stopped');
    expect(await page.$$('[data-testid="regenerate"]')).toHaveLength(1);
    await page.click('[data-testid="regenerate"]');
    await waitLastAnswer('complete');
    expect((await stored(id)).map((m) => m.content)).toEqual([q0, expectedReply(MODEL, q0).join(''), q1, expectedReply(MODEL, q1).join('')]);

    // Edit the second question and resend: the tail is replaced.
    const q2 = 'What does the appliance keep local?';
    const edits = await page.$$('[data-testid="edit"]');
    await edits[1]!.click();
    await page.$eval('[data-testid="edit-input"]', (e) => void ((e as HTMLTextAreaElement).value = ''));
    await page.type('[data-testid="edit-input"]', q2);
    await page.click('[data-testid="edit-save"]');
    await waitLastAnswer('complete');
    expect((await stored(id)).map((m) => m.content)).toEqual([q0, expectedReply(MODEL, q0).join(''), q2, expectedReply(MODEL, q2).join('')]);

    // Copy puts the answer's text on the clipboard (or selects it where the clipboard is refused).
    await page.browserContext().overridePermissions(fx.base, ['clipboard-read', 'clipboard-write', 'clipboard-sanitized-write']);
    await page.click(`${ANSWER}:last-child [data-testid="copy"]`);
    await page.waitForFunction(() =>
      /Copied|Selected/.test(document.querySelector('[data-testid="messages"] > article:last-child [data-testid="copy"]')?.textContent ?? ''),
    );

    // Reload: the whole history, server-rendered.
    await page.reload();
    expect(await page.$$eval('[data-testid="message"]', (els) => els.map((e) => `${e.getAttribute('data-role')}:${e.getAttribute('data-status')}`))).toEqual([
      'user:complete',
      'assistant:complete',
      'user:complete',
      'assistant:complete',
    ]);
    expect(await texts('[data-role="user"] [data-testid="message-body"]')).toEqual([q0, q2]);
    expect(await page.$$('[data-testid="message-marker"]')).toHaveLength(0);
    expect(await page.$$(`${ANSWER} strong, ${ANSWER} code`)).not.toHaveLength(0);
    expect(await page.$eval('[data-testid="conversation-title"]', (e) => e.textContent)).toBe(title);

    // An API refusal shows in the alert region, and the question stays in the box.
    expect((await api('PATCH', `/api/models/${MODEL}`, { enabled: false })).status).toBe(200);
    await page.type('[data-testid="composer-input"]', 'Anyone there?');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => (document.querySelector('[role="alert"][data-testid="chat-alert"]')?.textContent ?? '').length > 0);
    expect(await page.$eval('[data-testid="chat-alert"]', (e) => e.textContent)).toMatch(/disabled by an admin/);
    await page.waitForFunction(() => (document.querySelector('[data-testid="composer-input"]') as HTMLTextAreaElement).value === 'Anyone there?');
    expect(await page.$eval('[data-testid="send"]', (e) => (e as HTMLButtonElement).disabled)).toBe(false);
    expect(await page.$$('[data-testid="message"]')).toHaveLength(4);
    expect((await api('PATCH', `/api/models/${MODEL}`, { enabled: true })).status).toBe(200);

    await page.screenshot({ path: '/tmp/onsite-chat.png', fullPage: true });
    await page.goto(`${fx.base}/admin/usage`);
    expect(await page.$eval('[data-testid="usage-users"]', (e) => e.textContent)).toContain('ada@example.test');
    await page.screenshot({ path: '/tmp/onsite-usage.png', fullPage: true });
    expect(consoleErrors.filter((e) => !/status of 409/.test(e))).toEqual([]);
  });
});
