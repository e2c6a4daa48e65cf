import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ElementHandle, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningMiner } from '../../../miner/start.ts';
import { startFakeOllama, type FakeOllama } from '../../fixtures/ollama/server.ts';
import { adminPage, pageApi, startFixtureMiner, untilHealthyMiner, useBrowserFixture } from '../../helpers/chromium.ts';
import { until } from '../../helpers/stack.ts';
import { tempDir } from '../../helpers/env.ts';

const MODEL = 'llama3.2:1b';
const EMBEDDER = 'nomic-embed-text';
const CORPUS = new URL('../../fixtures/knowledge/corpus/', import.meta.url).pathname;
const FILES = ['hr-annual-leave.md', 'hr-per-diem-rates.txt'];
const LAST_ANSWER = '[data-testid="messages"] > article[data-role="assistant"]:last-child';

// Small chunks, so each document has several and a citation lands on a later one.
// The server's own start() runs the ingestion worker (serve.ts), and stops it before the database closes.
const fx = useBrowserFixture({ env: { CHUNK_SIZE_TOKENS: '64', CHUNK_OVERLAP_TOKENS: '8' } });
let fake: FakeOllama;
let miner: RunningMiner;
let minerState: ReturnType<typeof tempDir>;
let uploads: ReturnType<typeof tempDir>;
let page: Page;
const consoleErrors: string[] = [];

/** Calls the JSON API from the page (see pageApi). */
const api = (method: string, path: string, body?: unknown) => pageApi(page, method, path, body);

const text = (selector: string) => page.$eval(selector, (e) => e.textContent ?? '');
const texts = (selector: string) => page.$$eval(selector, (els) => els.map((e) => e.textContent ?? ''));
const click = (selector: string) => Promise.all([page.waitForNavigation(), page.click(selector)]);

beforeAll(async () => {
  fake = await startFakeOllama({ tokensPerSecond: 50 });
  minerState = tempDir('onsite-miner-');
  uploads = tempDir('onsite-uploads-');
  for (const name of FILES) copyFileSync(join(CORPUS, name), join(uploads.dir, name));
  miner = await startFixtureMiner(fx, fake.url, 'kb-worker', minerState.dir);
  page = await adminPage(fx, consoleErrors);
  await untilHealthyMiner(page);
  for (const model of [
    { name: MODEL, kind: 'chat', contextLength: 4096, isDefault: true },
    { name: EMBEDDER, kind: 'embedding', contextLength: 2048, dimensions: 768, isDefault: true },
  ]) {
    const added = await api('POST', '/api/models', model);
    expect(added.status, JSON.stringify(added.body)).toBe(201);
  }
}, 60_000);

afterAll(async () => {
  await miner?.stop();
  await fake?.close();
  minerState?.cleanup();
  uploads?.cleanup();
});

describe('the knowledge base in real Chromium', () => {
  let collectionId = 0;
  // The uploads as the API has them once ready (a title comes from the document's own heading when it has one).
  const docs: Record<string, { id: number; title: string }> = {};

  it('creates a collection, uploads a .md and a .txt with progress, and sees them become ready', { timeout: 90_000 }, async () => {
    await page.goto(`${fx.base}/chat`);
    await click('[data-testid="documents-link"]');
    expect(new URL(page.url()).pathname).toBe('/collections');
    expect(await page.$('[data-testid="collections-empty"]')).not.toBeNull();

    await page.type('[data-testid="create-collection-form"] [name="name"]', 'People <handbook>');
    await page.type('[data-testid="create-collection-form"] [name="description"]', 'HR policies');
    await page.select('[data-testid="scope-select"]', 'shared');
    await click('[data-testid="create-collection-form"] button[type="submit"]');
    collectionId = Number(new URL(page.url()).pathname.split('/')[2]);
    expect(collectionId).toBeGreaterThan(0);
    expect(await text('[data-testid="collection-name"]')).toBe('People <handbook> shared');
    expect(await page.$eval('[data-testid="collection"]', (e) => e.getAttribute('data-writable'))).toBe('true');

    const input = (await page.$('[data-testid="upload-input"]')) as ElementHandle<HTMLInputElement>;
    await input.uploadFile(...FILES.map((f) => join(uploads.dir, f)));
    // Every word the upload list shows, however briefly: uploads on loopback take milliseconds.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { seen: string[] }).seen = seen;
      new MutationObserver(() => {
        for (const t of Array.from(document.querySelectorAll('[data-testid="upload-text"]'))) seen.push(t.textContent ?? '');
      }).observe(document.querySelector('[data-testid="uploads"]')!, { subtree: true, childList: true, characterData: true, attributes: true });
    });
    await page.click('[data-testid="upload-button"]');
    await until(async () => (await page.$$('[data-testid="upload"][data-state="done"]')).length === 2, 30_000, 'both uploads');
    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    expect(
      seen.some((t) => /^uploading, \d+%$/.test(t)),
      seen.join(' | '),
    ).toBe(true);
    expect(await page.$$eval('[data-testid="upload-progress"]', (els) => els.map((e) => (e as HTMLProgressElement).value))).toEqual([100, 100]);
    expect(await page.$$eval('[data-testid="upload"]', (els) => els.map((e) => e.getAttribute('data-name')))).toEqual(FILES);

    // Polling turns the rows ready without a reload.
    await page.waitForFunction(
      () => Array.from(document.querySelectorAll('[data-testid="document-row"]')).filter((r) => r.getAttribute('data-status') === 'ready').length === 2,
      { timeout: 30_000 },
    );
    const statuses = await texts('[data-testid="document-status"]');
    expect(statuses).toHaveLength(2);
    for (const s of statuses) {
      const m = /^ready: embedded (\d+) of (\d+) chunks$/.exec(s);
      expect(m, s).not.toBeNull();
      expect(m![1]).toBe(m![2]);
      expect(Number(m![2])).toBeGreaterThan(1);
    }
    for (const d of (await api('GET', `/api/collections/${collectionId}`)).body.documents) docs[d.filename] = { id: d.id, title: d.title };
    expect(docs['hr-annual-leave.md']!.title).toBe('Annual Leave Policy');
    expect((await texts('[data-testid="document-link"]')).sort()).toEqual(
      Object.values(docs)
        .map((d) => d.title)
        .sort(),
    );
    await page.screenshot({ path: '/tmp/onsite-collection.png', fullPage: true });

    // The list shows the collection with its counts, and a reload renders the same rows on the server.
    await page.reload();
    expect(await page.$$eval('[data-testid="document-row"]', (els) => els.map((e) => e.getAttribute('data-status')))).toEqual(['ready', 'ready']);
    await page.goto(`${fx.base}/collections`);
    expect(await text(`[data-testid="collection-row"][data-id="${collectionId}"] [data-testid="collection-counts"]`)).toBe('2 of 2 ready');
    expect(await text(`[data-testid="collection-row"][data-id="${collectionId}"] [data-testid="scope"]`)).toBe('shared');
  });

  it('searches, and the result opens the document at the cited chunk', async () => {
    await page.goto(`${fx.base}/collections`);
    await page.type('[data-testid="search-input"]', 'carry over unused leave days into the next year');
    await page.click('[data-testid="search-form"] button[type="submit"]');
    await page.waitForSelector('[data-testid="search-hit"]');
    expect(await text('[data-testid="search-mode"]')).toMatch(/results? for “carry over unused leave days into the next year” \(hybrid search\)/);
    const top = await page.$eval('[data-testid="search-hit"] [data-testid="hit-link"]', (a) => ({ href: a.getAttribute('href')!, title: a.textContent }));
    expect(top.title).toBe('Annual Leave Policy');
    expect(top.href).toMatch(/^\/documents\/\d+#chunk-\d+$/);
    expect(await text('[data-testid="search-hit"] .snippet')).toMatch(/carr(y|ied)/i);
    expect(new URL(page.url()).search).toContain('q=carry');
    await page.screenshot({ path: '/tmp/onsite-search.png', fullPage: true });

    await click('[data-testid="search-hit"] [data-testid="hit-link"]');
    expect(`${new URL(page.url()).pathname}${new URL(page.url()).hash}`).toBe(top.href);
    expect(await text('[data-testid="document-title"]')).toBe('Annual Leave Policy');
    const target = await page.$eval(':target', (e) => ({
      id: e.id,
      testid: e.getAttribute('data-testid'),
      text: e.textContent ?? '',
      bg: getComputedStyle(e).backgroundColor,
    }));
    expect(`#${target.id}`).toBe(new URL(top.href, fx.base).hash);
    expect(target.testid).toBe('chunk');
    expect(target.text).toMatch(/carr(y|ied)/i);
    expect(target.bg).not.toBe('rgba(0, 0, 0, 0)');
    expect((await page.$$('[data-testid="chunk"]')).length).toBeGreaterThan(1);
    await page.screenshot({ path: '/tmp/onsite-document.png', fullPage: true });

    // The server renders the same search without JavaScript's help.
    await page.goto(`${fx.base}/collections?q=${encodeURIComponent('per diem rate in Germany')}`);
    expect(await page.$eval('[data-testid="search-hit"] [data-testid="hit-link"]', (a) => a.getAttribute('href'))).toMatch(
      new RegExp(`^/documents/${docs['hr-per-diem-rates.txt']!.id}#chunk-\\d+$`),
    );
  });

  it('chats with the collection and cites the document', async () => {
    await page.goto(`${fx.base}/collections/${collectionId}`);
    await click('[data-testid="chat-with-collection"]');
    const conversationId = new URL(page.url()).pathname.split('/')[2]!;
    expect(new URL(page.url()).pathname).toBe(`/chat/${conversationId}`);
    expect(await text('[data-testid="kb-summary"]')).toBe('People <handbook>');
    expect(await page.$eval(`[data-testid="kb-choice"][value="${collectionId}"]`, (e) => (e as HTMLInputElement).checked)).toBe(true);

    await page.type('[data-testid="composer-input"]', 'How many unused leave days can I carry over?');
    await page.keyboard.press('Enter');
    await page.waitForSelector(`${LAST_ANSWER}[data-status="complete"]`, { timeout: 20_000 });
    const live = await page.$$eval(`${LAST_ANSWER} [data-testid="source"][data-kind="document"] a`, (els) =>
      els.map((a) => ({ href: a.getAttribute('href')!, title: a.textContent })),
    );
    expect(live.length).toBeGreaterThan(0);
    expect(live.map((s) => s.title)).toContain('Annual Leave Policy');
    for (const s of live) expect(s.href).toMatch(/^\/documents\/\d+#chunk-\d+$/);
    await page.screenshot({ path: '/tmp/onsite-kb-chat.png', fullPage: true });

    // After a reload the server renders the same sources; the first one leads to its passage.
    await page.reload();
    const rendered = await page.$$eval(`${LAST_ANSWER} [data-testid="source"][data-kind="document"] a`, (els) =>
      els.map((a) => ({ href: a.getAttribute('href')!, title: a.textContent })),
    );
    expect(rendered).toEqual(live);
    await click(`${LAST_ANSWER} [data-testid="source"][data-kind="document"] a`);
    expect(await page.$eval(':target', (e) => e.getAttribute('data-testid'))).toBe('chunk');

    // Unticking the collection saves at once.
    await page.goto(`${fx.base}/chat/${conversationId}`);
    await page.click('[data-testid="kb-picker"] summary');
    await page.click(`[data-testid="kb-choice"][value="${collectionId}"]`);
    await page.waitForFunction(() => document.querySelector('[data-testid="kb-saved"]')?.textContent === 'Saved.');
    expect(await text('[data-testid="kb-summary"]')).toBe('none');
    expect((await api('GET', `/api/conversations/${conversationId}`)).body.knowledge).toEqual({ collectionIds: [] });
  });

  it('summarises one document in a whole-document conversation', async () => {
    await page.goto(`${fx.base}/collections/${collectionId}`);
    const leave = docs['hr-per-diem-rates.txt']!;
    await click(`form[action="/documents/${leave.id}/summarise"] button`);
    const conversationId = new URL(page.url()).pathname.split('/')[2]!;
    expect((await api('GET', `/api/conversations/${conversationId}`)).body.knowledge).toEqual({ collectionIds: [], documentId: leave.id });
    expect(await text('[data-testid="kb-document"]')).toBe(leave.title);
    expect(await page.$eval('[data-testid="composer-input"]', (e) => (e as HTMLTextAreaElement).value)).toBe('Summarise this document.');
    await page.click('[data-testid="send"]');
    await page.waitForSelector(`${LAST_ANSWER}[data-status="complete"]`, { timeout: 20_000 });
    const sources = await page.$$eval(`${LAST_ANSWER} [data-testid="source"][data-kind="document"]`, (els) =>
      els.map((e) => ({ href: e.querySelector('a')?.getAttribute('href'), text: e.textContent })),
    );
    expect(sources).toHaveLength(1);
    expect(sources[0]!.href).toBe(`/documents/${leave.id}`);
    expect(sources[0]!.text).toContain('whole document');
  });

  it('a new conversation searches the collections ticked before its first message', async () => {
    await page.goto(`${fx.base}/chat`);
    await page.click('[data-testid="kb-picker"] summary');
    await page.click(`[data-testid="kb-choice"][value="${collectionId}"]`);
    expect(await text('[data-testid="kb-saved"]')).toBe('Used from your first question on.');
    expect(await text('[data-testid="kb-summary"]')).toBe('People <handbook>');
    await page.type('[data-testid="composer-input"]', 'What is the per diem rate for Germany?');
    await page.keyboard.press('Enter');
    await page.waitForSelector(`${LAST_ANSWER}[data-status="complete"]`, { timeout: 20_000 });
    const conversationId = new URL(page.url()).pathname.split('/')[2]!;
    expect((await api('GET', `/api/conversations/${conversationId}`)).body.knowledge).toEqual({ collectionIds: [collectionId] });
    const titles = await page.$$eval(`${LAST_ANSWER} [data-testid="source"][data-kind="document"] a`, (els) => els.map((a) => a.textContent));
    expect(titles).toContain(docs['hr-per-diem-rates.txt']!.title);

    // Without JavaScript the picker's Save button posts the form: no box ticked means none.
    const post = (fields: Array<[string, string]>) =>
      page.evaluate(
        async (id, fields) => {
          const token = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
          return (await fetch(`/chat/${id}/knowledge`, { method: 'POST', body: new URLSearchParams([['_csrf', token], ...fields]) })).status;
        },
        conversationId,
        fields,
      );
    expect(await post([])).toBe(200);
    expect((await api('GET', `/api/conversations/${conversationId}`)).body.knowledge).toEqual({ collectionIds: [] });
    expect(await post([['collectionIds', String(collectionId)]])).toBe(200);
    expect((await api('GET', `/api/conversations/${conversationId}`)).body.knowledge).toEqual({ collectionIds: [collectionId] });
  });

  it('renames the collection and deletes a document', async () => {
    page.once('dialog', (d) => void d.accept());
    await page.goto(`${fx.base}/collections/${collectionId}`);
    await page.click('[data-testid="manage"] summary');
    await page.$eval('[data-testid="rename-collection-form"] [name="name"]', (e) => void ((e as HTMLInputElement).value = ''));
    await page.type('[data-testid="rename-collection-form"] [name="name"]', 'People handbook');
    await click('[data-testid="rename-collection-form"] button[type="submit"]');
    expect(await text('[data-testid="collection-name"]')).toBe('People handbook shared');

    const leave = docs['hr-annual-leave.md']!;
    await click(`form[action="/documents/${leave.id}/delete"] button`);
    expect(new URL(page.url()).pathname).toBe(`/collections/${collectionId}`);
    expect(await page.$$eval('[data-testid="document-row"]', (els) => els.map((e) => Number(e.getAttribute('data-id'))))).toEqual([
      docs['hr-per-diem-rates.txt']!.id,
    ]);
    await page.goto(`${fx.base}/documents/${leave.id}`);
    expect(await text('[data-testid="error"]')).toBe(`no such document: ${leave.id}`);
  });

  it('shows the knowledge base on the system page', async () => {
    await page.goto(`${fx.base}/admin/system`);
    expect(await text('[data-testid="knowledge-summary"]')).toMatch(/^\d+ chunks indexed\. Ingestion queue: 0 queued, 0 running, 0 failed\.$/);
    const spaces = await page.$$eval('[data-testid="space-row"]', (els) => els.map((e) => ({ state: e.getAttribute('data-state'), text: e.textContent })));
    expect(spaces).toHaveLength(1);
    expect(spaces[0]!.state).toBe('active');
    expect(spaces[0]!.text).toContain(EMBEDDER);
    await page.screenshot({ path: '/tmp/onsite-system-knowledge.png', fullPage: true });
    // The one 404 is the deleted document's page, asked for on purpose.
    expect(consoleErrors.filter((e) => !/status of 404/.test(e))).toEqual([]);
    expect(consoleErrors.filter((e) => /status of 404/.test(e))).toHaveLength(1);
  });
});
