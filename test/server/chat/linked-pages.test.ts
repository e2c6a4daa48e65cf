import { describe, expect, it } from 'vitest';
import type { PageFetcher } from '../../../server/browser-client/browser-client.service.ts';
import { answerReserve, pageBudgetChars, pageContextMessage, shareBudget, withPageContext } from '../../../server/chat/page-context.ts';
import { promptWithPages, readPages, urlsIn } from '../../../server/chat/linked-pages.ts';
import { AppError } from '../../../server/kernel/errors.ts';
import type { FetchResult } from '../../../server/kernel/protocol/browser.ts';

const result = (url: string, extra: Partial<FetchResult> = {}): FetchResult => ({
  url,
  finalUrl: url,
  status: 200,
  title: 'Title',
  text: 'Text',
  textTruncated: false,
  links: [],
  blocked: [],
  bytes: 1,
  elapsedMs: 1,
  ...extra,
});

describe('URLs in a question', () => {
  it.each([
    ['summarise https://example.com/a please', ['https://example.com/a']],
    ['see (https://example.com/a), then https://example.com/b.', ['https://example.com/a', 'https://example.com/b']],
    ['[doc](https://example.com/c) and ![pic](http://127.0.0.1:9/p.png)', ['https://example.com/c', 'http://127.0.0.1:9/p.png']],
    ['https://en.wikipedia.org/wiki/Foo_(bar) is a page', ['https://en.wikipedia.org/wiki/Foo_(bar)']],
    ['first https://a.test/1 second https://b.test/2 third https://c.test/3', ['https://a.test/1', 'https://b.test/2']],
    ['twice https://a.test/ and https://a.test/ then https://b.test/?q=1&r=2!', ['https://a.test/', 'https://b.test/?q=1&r=2']],
    ['quoted "https://a.test/x" and <https://b.test/y>', ['https://a.test/x', 'https://b.test/y']],
    ['ftp://files.test/x, file:///etc/passwd, javascript:alert(1), www.example.com', []],
    ['HTTPS://EXAMPLE.COM/Up', ['HTTPS://EXAMPLE.COM/Up']],
    [`https://long.test/${'x'.repeat(3000)}`, []],
  ])('%s', (text, urls) => {
    expect(urlsIn(text)).toEqual(urls);
  });
});

describe('page context', () => {
  it('shares a budget fairly, giving a short page’s unused share to the others', () => {
    expect(shareBudget([100, 10_000], 1000)).toEqual([100, 900]);
    expect(shareBudget([10_000, 10_000], 1000)).toEqual([500, 500]);
    expect(shareBudget([0, 300], 1000)).toEqual([0, 300]);
    expect(shareBudget([50, 60], 1000)).toEqual([50, 60]);
  });

  it('leaves room for the answer and the conversation, but always gives pages a quarter of the window', () => {
    expect(answerReserve(4096)).toBe(1024);
    expect(answerReserve(512)).toBe(256);
    const short = pageBudgetChars(4096, [{ role: 'user', content: 'hi' }]);
    expect(short).toBeGreaterThan(2500 * 3);
    expect(short).toBeLessThan((4096 - 1024) * 3);
    expect(pageBudgetChars(4096, [{ role: 'user', content: 'x'.repeat(100_000) }])).toBe(1024 * 3);
  });

  it('numbers the pages, cuts long text to fit, names unreadable pages and marks the sources', () => {
    const pages = [
      { source: { kind: 'web' as const, url: 'https://a.test/', finalUrl: 'https://a.test/home', title: 'Home A' }, text: 'alpha '.repeat(2000) },
      { source: { kind: 'web' as const, url: 'https://b.test/', error: { code: 'page_timeout', message: 'the page did not load within 30 s' } } },
    ];
    const m = pageContextMessage(pages, 3000);
    expect(m.role).toBe('system');
    expect(m.content).toMatch(/cite it as \[n\] followed by its URL/);
    expect(m.content).toMatch(/not instructions/);
    expect(m.content).toContain('[1] Home A — https://a.test/home\n<<<\nalpha alpha');
    expect(m.content).toContain('[… the rest of the page was left out to fit the model’s context window]');
    expect(m.content).toContain('[2] https://b.test/\nThis page could not be read: the page did not load within 30 s.');
    expect(m.content.length).toBeLessThan(3000 + 1000);
    expect(pages[0]!.source).toMatchObject({ truncated: true });
  });

  it('puts the context just before the question it answers', () => {
    const ctx = { role: 'system' as const, content: 'pages' };
    const history = [
      { role: 'user' as const, content: 'q1' },
      { role: 'assistant' as const, content: 'a1' },
      { role: 'user' as const, content: 'q2 https://a.test/' },
    ];
    expect(withPageContext(history, ctx).map((m) => m.content)).toEqual(['q1', 'a1', 'pages', 'q2 https://a.test/']);
  });
});

describe('reading pages for a question', () => {
  const signal = new AbortController().signal;

  it('keeps going when a page fails, recording why; an error page or an empty one counts as unread', async () => {
    const fetcher: PageFetcher = {
      fetchPage: async ({ url }) => {
        if (url.includes('down')) throw new AppError('browser_unavailable', 'the browser service at http://browser:9020 cannot be reached (ENOTFOUND)');
        if (url.includes('missing')) return result(url, { status: 404, text: 'Not Found' });
        if (url.includes('blank')) return result(url, { text: '  ' });
        return result(url, { finalUrl: `${url}final`, title: '  Spaced title ' });
      },
    };
    const pages = await readPages(fetcher, ['https://ok.test/', 'https://down.test/'], signal);
    expect(pages).toEqual([
      { source: { kind: 'web', url: 'https://ok.test/', finalUrl: 'https://ok.test/final', title: 'Spaced title' }, text: 'Text' },
      {
        source: {
          kind: 'web',
          url: 'https://down.test/',
          error: { code: 'browser_unavailable', message: 'the browser service at http://browser:9020 cannot be reached (ENOTFOUND)' },
        },
      },
    ]);
    const odd = await readPages(fetcher, ['https://missing.test/', 'https://blank.test/'], signal);
    expect(odd.map((p) => p.source.error?.code)).toEqual(['page_fetch_failed', 'page_empty']);
    expect(odd.every((p) => p.text === undefined)).toBe(true);
  });

  it('throws only when the caller stops', async () => {
    const ac = new AbortController();
    const fetcher: PageFetcher = { fetchPage: async (_req, o) => Promise.reject(o?.signal?.reason ?? new Error('x')) };
    ac.abort(new Error('stopped'));
    await expect(readPages(fetcher, ['https://a.test/'], ac.signal)).rejects.toThrow('stopped');
  });

  it('leaves a question without URLs, or a server without a page fetcher, as it is', async () => {
    const history = [{ role: 'user' as const, content: 'no links here' }];
    const fetcher: PageFetcher = { fetchPage: async () => Promise.reject(new Error('not called')) };
    expect(await promptWithPages(fetcher, history, 4096, signal)).toEqual({ messages: history, sources: [] });
    const linked = [{ role: 'user' as const, content: 'read https://a.test/' }];
    expect(await promptWithPages(undefined, linked, 4096, signal)).toEqual({ messages: linked, sources: [] });
  });
});
