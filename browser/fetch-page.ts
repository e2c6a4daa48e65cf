import type { BrowserContext, CDPSession, HTTPRequest, HTTPResponse, Page } from 'puppeteer-core';
import type { Log } from '../server/kernel/log.ts';
import type { BlockedRequest, FetchRequest, FetchResult } from '../server/kernel/protocol/browser.ts';
import { AppError, BROWSER_ERROR_CODES, isAppError, type BrowserErrorCode } from '../server/kernel/errors.ts';
import type { Guard } from './guard/guard.ts';
import { PROXY_ERROR_HEADER, REFUSED_HEADER } from './guard/proxy.ts';
import type { BrowserPool } from './pool.ts';
import { readPage } from './page-content.ts';

/** Limits on one fetch, from the sidecar's configuration. */
export interface FetchLimits {
  /** Settle time after load when the caller gives none. */
  waitMs: number;
  /** Whole fetch, navigation to extraction. */
  timeoutMs: number;
  maxRedirects: number;
  /** Bytes a page may download (all its requests together). */
  maxBytes: number;
}

const MAX_BLOCKED_LISTED = 50;
const UNSEEN_TYPES = new Set(['image', 'media', 'font']);
const CLOSE_GRACE_MS = 5_000;
const VIEWPORT = { width: 1280, height: 800 };

/**
 * Fetches one page in a fresh browser context (no cookies, storage or cache
 * shared with any other fetch) on a pooled Chromium. Every request the page
 * makes passes the guard by interception; what interception cannot see
 * (workers, WebSockets) still meets the guard in the proxy.
 */
export async function fetchPage(deps: { guard: Guard; pool: BrowserPool; limits: FetchLimits; log: Log }, req: FetchRequest): Promise<FetchResult> {
  const started = performance.now();
  const first = await deps.guard.checkUrl(req.url);
  if (!first.ok) throw new AppError('url_refused', first.reason, { reason: first.code });

  const lease = await deps.pool.acquire();
  let context: BrowserContext | undefined;
  let broken = false;
  const run = new PageRun(deps, req);
  let timer: NodeJS.Timeout | undefined;
  let onGone: (() => void) | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new AppError('fetch_timeout', `the page did not finish within ${Math.round(deps.limits.timeoutMs / 1000)} s`)),
        deps.limits.timeoutMs,
      );
      // A browser that dies mid-fetch ends the fetch at once, not at the deadline.
      onGone = () => reject(new AppError('browser_crashed', 'the browser stopped while fetching the page; try again'));
      if (lease.browser.connected) lease.browser.once('disconnected', onGone);
      else onGone();
    });
    const creating = lease.browser.createBrowserContext();
    // A context that arrives after the deadline is closed, not leaked.
    creating.then(
      (c) => context === undefined && run.stopped && void c.close().catch(() => {}),
      () => {},
    );
    const ctx = await Promise.race([creating, timeout]);
    context = ctx;
    return await Promise.race([run.fetch(ctx, started), timeout]);
  } catch (err) {
    if (isAppError(err, BROWSER_ERROR_CODES)) throw err;
    if (!lease.browser.connected) throw new AppError('browser_crashed', 'the browser stopped while fetching the page; try again');
    throw new AppError('fetch_failed', `could not load the page: ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
    if (onGone) lease.browser.off('disconnected', onGone);
    run.stop();
    if (context) {
      // A context that will not close means a hung browser: replace it.
      const closed = await Promise.race([
        context.close().then(
          () => true,
          () => true,
        ),
        new Promise<boolean>((r) => setTimeout(() => r(false), CLOSE_GRACE_MS).unref()),
      ]);
      broken = !closed;
    }
    lease.release({ broken });
  }
}

/** A request the page makes, as interception sees it. */
export interface PageRequest {
  url: string;
  /** A document load (top-level or frame), which redirects count against. */
  navigation: boolean;
  /** Redirects that led to this request. */
  redirects: number;
  maxRedirects: number;
}

/**
 * The interception decision for one request of a page: the redirect limit,
 * then the guard. Pure apart from the guard's pinned DNS, so it is tested
 * for every address range without a connection.
 */
export async function decideRequest(guard: Guard, req: PageRequest): Promise<{ ok: true } | { ok: false; code: BlockedRequest['code']; reason: string }> {
  if (req.navigation && req.redirects > req.maxRedirects) return { ok: false, code: 'too_many_redirects', reason: `more than ${req.maxRedirects} redirects` };
  const verdict = await guard.checkUrl(req.url);
  return verdict.ok ? { ok: true } : { ok: false, code: verdict.code, reason: verdict.reason };
}

/** The state of one fetch: refusals, bytes, the main refusal if any. */
class PageRun {
  private readonly blocked: BlockedRequest[] = [];
  private mainRefusal: AppError<BrowserErrorCode> | undefined;
  private tooLarge: AppError<BrowserErrorCode> | undefined;
  private bytes = 0;
  private session: CDPSession | undefined;
  stopped = false;

  constructor(
    private readonly deps: { guard: Guard; limits: FetchLimits; log: Log },
    private readonly req: FetchRequest,
  ) {}

  stop(): void {
    this.stopped = true;
  }

  async fetch(context: BrowserContext, started: number): Promise<FetchResult> {
    const page = await context.newPage();
    await this.prepare(page);
    let response: HTTPResponse | null;
    try {
      response = await page.goto(this.req.url, { waitUntil: 'load', timeout: 0 });
    } catch (err) {
      if (this.mainRefusal) throw this.mainRefusal;
      if (this.tooLarge) throw this.tooLarge;
      throw new AppError('fetch_failed', `could not load ${this.req.url}: ${(err as Error).message.replace(/ at .*$/, '')}`);
    }
    if (this.mainRefusal) throw this.mainRefusal;
    this.checkProxyAnswer(response);
    await new Promise((r) => setTimeout(r, this.req.waitMs ?? this.deps.limits.waitMs));
    if (this.tooLarge) throw this.tooLarge;
    const content = await readPage(this.session!);
    const screenshot = this.req.screenshot ? await page.screenshot({ type: 'png', encoding: 'base64' }) : undefined;
    return {
      url: this.req.url,
      finalUrl: page.url(),
      status: response?.status() ?? 0,
      ...content,
      blocked: this.blocked,
      bytes: this.bytes,
      ...(screenshot !== undefined ? { screenshot } : {}),
      elapsedMs: Math.round(performance.now() - started),
    };
  }

  private async prepare(page: Page): Promise<void> {
    await page.setViewport(VIEWPORT);
    await page.setBypassServiceWorker(true);
    page.on('dialog', (d) => void d.dismiss().catch(() => {}));
    page.on('popup', (p) => void p?.close().catch(() => {}));
    this.session = await page.createCDPSession();
    await this.session.send('Network.enable');
    const maxBytes = Math.min(this.req.maxBytes ?? this.deps.limits.maxBytes, this.deps.limits.maxBytes);
    this.session.on('Network.dataReceived', (e) => {
      this.bytes += e.encodedDataLength > 0 ? e.encodedDataLength : e.dataLength;
      if (this.bytes > maxBytes && !this.tooLarge) {
        this.tooLarge = new AppError('page_too_large', `the page downloaded more than ${maxBytes} bytes; it was stopped`);
        void this.session?.send('Page.stopLoading').catch(() => {});
      }
    });
    await page.setRequestInterception(true);
    page.on('request', (r) => void this.intercept(page, r));
  }

  private async intercept(page: Page, r: HTTPRequest): Promise<void> {
    if (r.isInterceptResolutionHandled()) return;
    const isMain = r.isNavigationRequest() && r.frame() === page.mainFrame();
    if (this.stopped || this.tooLarge) return void r.abort('aborted').catch(() => {});
    const decision = await decideRequest(this.deps.guard, {
      url: r.url(),
      navigation: r.isNavigationRequest(),
      redirects: r.redirectChain().length,
      maxRedirects: this.deps.limits.maxRedirects,
    });
    if (!decision.ok) return this.refuse(r, isMain, decision.code, decision.reason);
    // Text needs no pictures, sound or fonts: without a screenshot they are not fetched at all.
    if (!this.req.screenshot && UNSEEN_TYPES.has(r.resourceType())) return void r.abort('aborted').catch(() => {});
    await r.continue().catch(() => {});
  }

  private async refuse(r: HTTPRequest, isMain: boolean, code: BlockedRequest['code'], reason: string): Promise<void> {
    if (isMain) {
      this.mainRefusal ??= new AppError('url_refused', r.redirectChain().length > 0 ? `a redirect was refused: ${reason}` : reason, {
        reason: code,
        url: r.url(),
      });
    } else if (this.blocked.length < MAX_BLOCKED_LISTED) {
      this.blocked.push({ url: r.url().slice(0, 300), code, reason });
    }
    this.deps.log.info({ code, main: isMain }, 'guard refused a page request');
    await r.abort('blockedbyclient').catch(() => {});
  }

  // The proxy answers for itself when interception did not decide: refused or unreachable.
  private checkProxyAnswer(response: HTTPResponse | null): void {
    const headers = response?.headers() ?? {};
    if (headers[REFUSED_HEADER]) throw new AppError('url_refused', `the guard refused ${this.req.url}`, { reason: headers[REFUSED_HEADER] });
    if (headers[PROXY_ERROR_HEADER]) throw new AppError('fetch_failed', `could not reach the site: ${decodeURIComponent(headers[PROXY_ERROR_HEADER])}`);
  }
}
