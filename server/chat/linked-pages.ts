import type { PageFetcher } from '../browser-client/browser-client.service.ts';
import { isAppError } from '../kernel/errors.ts';
import { MAX_URL_LENGTH } from '../kernel/protocol/browser.ts';
import type { ChatMessage } from '../kernel/protocol/miner.ts';
import { pageBudgetChars, pageContextMessage, withPageContext, type PageRead } from './page-context.ts';
import type { MessageSource, WebSource } from './chat.types.ts';

/** Most pages read for one question: the first URLs it names. */
export const MAX_PAGES_PER_QUESTION = 2;

const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"'`\\]+/gi;
const TRAILING = /[.,;:!?*_~]$/;
const PAIRS: Record<string, string> = { ')': '(', ']': '[', '}': '{' };

// Prose and markdown wrap URLs: "(see https://x/a)." or "[doc](https://x/b)" end in characters
// that belong to the sentence, unless the URL itself opened the bracket (Wikipedia's "Foo_(bar)").
function trimEnd(candidate: string): string {
  let url = candidate;
  for (;;) {
    const last = url.at(-1) ?? '';
    const open = PAIRS[last];
    if (TRAILING.test(last)) url = url.slice(0, -1);
    else if (open && url.split(open).length - 1 < url.split(last).length - 1) url = url.slice(0, -1);
    else return url;
  }
}

/** The first http(s) URLs a text names (at most `max`, each once, in order). */
export function urlsIn(text: string, max = MAX_PAGES_PER_QUESTION): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(URL_IN_TEXT)) {
    const url = trimEnd(m[0]);
    if (url.length > MAX_URL_LENGTH || !URL.canParse(url) || found.includes(url)) continue;
    if (!new URL(url).hostname) continue;
    found.push(url);
    if (found.length === max) break;
  }
  return found;
}

/**
 * Reads pages through the browser sidecar, all at once (the client bounds
 * how many run). A page that cannot be read does not fail the answer: its
 * source says why. Only the caller's abort (Stop) is thrown.
 */
export async function readPages(fetcher: PageFetcher, urls: string[], signal: AbortSignal): Promise<PageRead[]> {
  return Promise.all(
    urls.map(async (url): Promise<PageRead> => {
      try {
        const page = await fetcher.fetchPage({ url }, { signal });
        const source: WebSource = { kind: 'web', url, finalUrl: page.finalUrl, title: page.title.trim().slice(0, 300) || undefined };
        // An error page's text would only mislead the model.
        if (page.status >= 400) return { source: { ...source, error: { code: 'page_fetch_failed', message: `the site answered HTTP ${page.status}` } } };
        if (!page.text.trim())
          return { source: { ...source, error: { code: 'page_empty', message: 'the page has no readable text (it may need a sign-in or show only images)' } } };
        return { source, text: page.text };
      } catch (err) {
        if (signal.aborted) throw err;
        const error = isAppError(err) ? { code: err.code, message: err.message } : { code: 'page_fetch_failed', message: 'the page could not be read' };
        return { source: { kind: 'web', url, error } };
      }
    }),
  );
}

/** The prompt of an answer and the sources it was given. */
export interface PagePrompt {
  messages: ChatMessage[];
  sources: MessageSource[];
}

/**
 * Builds the prompt of an answer: the conversation and, when its last
 * question names http(s) URLs and a fetcher is configured, those pages
 * read now and trimmed to fit `contextLength` beside the conversation.
 */
export async function promptWithPages(
  fetcher: PageFetcher | undefined,
  history: ChatMessage[],
  contextLength: number,
  signal: AbortSignal,
): Promise<PagePrompt> {
  const question = history.findLast((m) => m.role === 'user');
  const urls = fetcher && question ? urlsIn(question.content) : [];
  if (!fetcher || urls.length === 0) return { messages: history, sources: [] };
  const pages = await readPages(fetcher, urls, signal);
  const context = pageContextMessage(pages, pageBudgetChars(contextLength, history));
  return { messages: withPageContext(history, context), sources: pages.map((p) => p.source) };
}
