import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PageFetcher } from '../../../server/browser-client/browser-client.service.ts';
import { AppError } from '../../../server/kernel/errors.ts';
import type { FetchRequest, FetchResult } from '../../../server/kernel/protocol/browser.ts';
import { expectedReply, type SeenRequest } from '../../fixtures/ollama/server.ts';
import { observe } from '../../helpers/server.ts';
import { readSse } from '../../helpers/sse.ts';
import { CHAT_MODEL, startStack, until, type Stack } from '../../helpers/stack.ts';

// The chat's own handling of linked pages, with pages read in-process. The
// browser sidecar itself (HTTP, pool, guard) is exercised end to end in
// test/e2e/browser-chat.e2e.test.ts, and its client in test/server/browser-client.

type Body = { messages: Array<{ role: string; content: string }> };
const promptOf = (r: SeenRequest) => (r.body as Body).messages;

/** Pages the test serves, by URL; a function may fail or wait. */
type Site = Record<string, Partial<FetchResult> | ((req: FetchRequest, signal?: AbortSignal) => Promise<FetchResult>)>;

function readerFor(site: Site, asked: string[]): PageFetcher {
  return {
    async fetchPage(req, o) {
      asked.push(req.url);
      const entry = site[req.url];
      if (typeof entry === 'function') return entry(req, o?.signal);
      if (!entry) throw new AppError('page_fetch_failed', `net::ERR_NAME_NOT_RESOLVED at ${req.url}`);
      return {
        url: req.url,
        finalUrl: req.url,
        status: 200,
        title: 'Untitled',
        text: '',
        textTruncated: false,
        links: [],
        blocked: [],
        bytes: 100,
        elapsedMs: 5,
        ...entry,
      };
    },
  };
}

async function send(st: Stack, content: string) {
  const id = (await st.admin.post('/api/conversations', {})).body.id as string;
  const res = await st.admin.raw('POST', `/api/conversations/${id}/messages`, { content });
  return { id, res };
}

/** Reads a reply stream: event names in order, the sources and the final message. */
async function events(res: Response) {
  const names: string[] = [];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- payloads are checked field by field
  const data: Record<string, any> = {};
  for await (const e of readSse(res)) {
    if (names.at(-1) !== e.event) names.push(e.event);
    data[e.event] = JSON.parse(e.data);
  }
  return { names, sources: data.sources?.sources, final: data.done?.message ?? data.error?.partial, error: data.error };
}

describe('chat with web pages the question links', () => {
  let st: Stack;
  const asked: string[] = [];
  const MARKER = 'Onsite keeps every document on the premises';
  let release: (() => void) | undefined;
  const site: Site = {
    'https://docs.test/guide': { finalUrl: 'https://docs.test/guide/', title: 'The Guide', text: `${MARKER}. It runs local models.` },
    'https://docs.test/huge': { title: 'Huge', text: 'lorem ipsum '.repeat(20_000), textTruncated: true },
    'https://docs.test/slow': (req, signal) =>
      new Promise((_resolve, reject) => {
        release = () => reject(new AppError('page_timeout', 'the page did not load within 30 s'));
        signal?.addEventListener('abort', () => reject(signal.reason));
        void req;
      }),
  };

  beforeAll(async () => {
    st = await startStack({ miners: 1, pages: readerFor(site, asked) });
  });
  afterAll(async () => {
    await st?.close();
  });

  const lastChat = () => st.ollamas[0]!.requests.filter((r) => r.path === '/api/chat').at(-1)!;

  it('reads no linked page for a user whose groups may not (web_pages), and again once they may', async () => {
    const web = ((await st.admin.post('/api/groups', { kind: 'local', name: 'Web readers' })).body.group as { id: string }).id;
    expect((await st.admin.request('PUT', '/api/groups/features/web_pages', { groups: [web] })).status).toBe(200);
    const before = asked.length;
    const denied = await events((await send(st, 'Summarise https://docs.test/guide please')).res);
    expect(asked.length).toBe(before); // never fetched
    expect(denied.sources).toBeUndefined();
    expect(denied.final).toMatchObject({ status: 'complete', sources: [] });
    expect(promptOf(lastChat()).map((m) => m.role)).toEqual(['user']);

    await st.admin.request('PUT', '/api/groups/features/web_pages', { groups: ['everyone'] });
    const allowed = await events((await send(st, 'Summarise https://docs.test/guide please')).res);
    expect(asked.length).toBe(before + 1);
    expect(allowed.sources).toHaveLength(1);
  });

  it('reads the page before answering, puts its text in the prompt with citation rules, and keeps the source', async () => {
    const question = 'Summarise https://docs.test/guide please';
    const { id, res } = await send(st, question);
    expect(res.status).toBe(200);
    const r = await events(res);
    expect(r.names).toEqual(['start', 'sources', 'token', 'done']);
    const source = { kind: 'web', url: 'https://docs.test/guide', finalUrl: 'https://docs.test/guide/', title: 'The Guide' };
    expect(r.sources).toEqual([source]);
    expect(r.final).toMatchObject({ status: 'complete', content: expectedReply(CHAT_MODEL, question).join(''), sources: [source], truncated: false });

    const prompt = promptOf(lastChat());
    expect(prompt.map((m) => m.role)).toEqual(['system', 'user']);
    expect(prompt[0]!.content).toContain(`[1] The Guide — https://docs.test/guide/\n<<<\n${MARKER}`);
    expect(prompt[0]!.content).toMatch(/cite it as \[n\] followed by its URL/);
    expect(prompt[1]!.content).toBe(question);

    const conv = await st.admin.get(`/api/conversations/${id}`);
    const [user, answer] = conv.body.messages as Array<{ sources: unknown[] }>;
    expect(user!.sources).toEqual([]);
    expect(answer!.sources).toEqual([source]);

    // A follow-up without a URL reads nothing.
    const before = asked.length;
    const follow = await st.admin.raw('POST', `/api/conversations/${id}/messages`, { content: 'And in one word?' });
    expect((await events(follow)).names).toEqual(['start', 'token', 'done']);
    expect(asked.length).toBe(before);
    expect(promptOf(lastChat()).map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
  });

  it('trims a long page to the model’s context window, leaving room for the answer', async () => {
    const { res } = await send(st, 'What is on https://docs.test/huge?');
    const r = await events(res);
    expect(r.final).toMatchObject({ status: 'complete', truncated: false, sources: [{ url: 'https://docs.test/huge', truncated: true }] });
    const system = promptOf(lastChat())[0]!.content;
    // The catalog gives the model 4096 tokens; the page gets at most three quarters of them.
    expect(system.length).toBeLessThan(4096 * 3);
    expect(system.length).toBeGreaterThan(4096);
    expect(system).toContain('[… the rest of the page was left out to fit the model’s context window]');
    expect(lastChat().truncated).toBe(false);
  });

  it('a page that cannot be read does not fail the answer: the source says why, and so does the prompt', async () => {
    const question = 'Compare https://docs.test/guide with https://nowhere.test/x and https://docs.test/third';
    const { id, res } = await send(st, question);
    const r = await events(res);
    expect(r.final.status).toBe('complete');
    expect(r.final.sources).toEqual([
      { kind: 'web', url: 'https://docs.test/guide', finalUrl: 'https://docs.test/guide/', title: 'The Guide' },
      { kind: 'web', url: 'https://nowhere.test/x', error: { code: 'page_fetch_failed', message: 'net::ERR_NAME_NOT_RESOLVED at https://nowhere.test/x' } },
    ]);
    // Only the first two URLs are read.
    expect(asked).not.toContain('https://docs.test/third');
    expect(promptOf(lastChat())[0]!.content).toContain('[2] https://nowhere.test/x\nThis page could not be read: net::ERR_NAME_NOT_RESOLVED');
    const stored = (await st.admin.get(`/api/conversations/${id}`)).body.messages as Array<{ sources: unknown[] }>;
    expect(stored[1]!.sources).toEqual(r.final.sources);
  });

  it('Stop while a page is being read stops the answer before the model runs', async () => {
    const chats = st.ollamas[0]!.requests.filter((r) => r.path === '/api/chat').length;
    const id = (await st.admin.post('/api/conversations', {})).body.id as string;
    // Not awaited: the reply's headers wait for the page.
    const pending = st.admin.raw('POST', `/api/conversations/${id}/messages`, { content: 'Read https://docs.test/slow' });
    await until(() => asked.includes('https://docs.test/slow'), 5000, 'the page to be asked for');
    expect((await st.admin.post(`/api/conversations/${id}/stop`)).body).toEqual({ stopped: true });
    const r = await events(await pending);
    expect(r.error).toMatchObject({ code: 'stopped' });
    expect(r.final).toMatchObject({ status: 'stopped', content: '' });
    expect(st.ollamas[0]!.requests.filter((x) => x.path === '/api/chat').length).toBe(chats);
    release?.();
  });

  it('the OpenAI-compatible API never reads URLs: programs control their own context', async () => {
    const key = (await st.admin.post('/api/keys', { name: 'program' })).body.key as string;
    const before = asked.length;
    const res = await fetch(`${st.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'Summarise https://docs.test/guide' }] }),
    });
    expect(res.status).toBe(200);
    expect(asked.length).toBe(before);
    expect(promptOf(lastChat())).toEqual([{ role: 'user', content: 'Summarise https://docs.test/guide' }]);
  });
});

describe('chat with web pages: sidecar down, no miner', () => {
  let st: Stack;
  beforeAll(async () => {
    // No page fetcher injected: the real client, pointed at a loopback port where no sidecar listens.
    st = await startStack({ miners: 0, env: { MINER_QUEUE_SYNC_WAIT_S: '1' } });
  });
  afterAll(async () => {
    await st?.close();
  });

  it('an unreachable sidecar is recorded on the answer, and no free miner is still a plain 503', async () => {
    const { id, res } = await send(st, 'Summarise https://docs.test/guide');
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('no_miner');
    const messages = (await st.admin.get(`/api/conversations/${id}`)).body.messages as Array<{ status: string; sources: unknown[] }>;
    expect(messages[1]).toMatchObject({
      status: 'failed',
      sources: [
        {
          kind: 'web',
          url: 'https://docs.test/guide',
          error: { code: 'browser_unavailable', message: 'the browser service at http://127.0.0.1:2 cannot be reached (ECONNREFUSED)' },
        },
      ],
    });
  });

  it('health says the browser is unreachable, without failing readiness', async () => {
    const ready = await observe(st.s, '/health/ready');
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { checks: Record<string, unknown> }).checks.browser).toMatchObject({
      ok: false,
      critical: false,
      reason: 'browser_unreachable',
    });
  });
});
