import type { z } from 'zod';
import { assertLocalEndpoint, type Resolver } from '../kernel/egress.ts';
import { AppError } from '../kernel/errors.ts';
import { Semaphore } from '../kernel/semaphore.ts';
import { fetchRequestSchema, type BrowserHealth, type FetchRequest, type FetchResult } from '../kernel/protocol/browser.ts';
import { sidecarError, sidecarName, unreachable } from './errors.ts';
import { fetchResultSchema, healthSchema } from './replies.ts';

/** Settings of {@link createBrowserClient}, from the configuration. */
export interface BrowserClientOptions {
  /** BROWSER_SERVICE_URL. */
  baseUrl: string;
  /** BROWSER_SERVICE_AUTH_TOKEN: sent as a bearer token, never logged nor put in a message. */
  token: string;
  /** BROWSER_CLIENT_CONCURRENCY: fetches this server runs at once. */
  concurrency: number;
  /** BROWSER_CLIENT_WAIT_SECONDS in ms: how long a fetch waits for a free slot before `browser_busy`. */
  waitMs: number;
  /** BROWSER_CLIENT_TIMEOUT_SECONDS in ms: how long one fetch may take once sent, before `page_timeout`. */
  timeoutMs: number;
  /** How long a health probe may take; default 1500 ms (readiness gives each check 2 s). */
  healthTimeoutMs?: number | undefined;
  /** NO_EXTERNAL_EGRESS=1: refuse (`egress_refused`) a sidecar whose host resolves outside the local network. */
  localOnly?: boolean | undefined;
  /** Host-name resolver for that check (tests never ask real DNS). */
  resolve?: Resolver | undefined;
}

/** Per-call options of {@link BrowserClient.fetchPage}. */
export interface FetchPageOptions {
  /** Aborts the wait and the fetch; the promise then rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
}

/** This server's own use of the sidecar: its slots and who waits for one. */
export interface BrowserClientStats {
  limit: number;
  active: number;
  waiting: number;
}

// A successful egress check holds this long, so every fetch does not ask DNS again.
const LOCAL_CHECK_TTL_MS = 60_000;

/**
 * The server's client for the browser sidecar (`onsite browser`): `POST
 * /fetch` and `GET /health` with the bearer token. It keeps its own limit
 * of fetches in flight (a fetch waits a bounded time for a slot, then
 * fails `browser_busy`) and its own timeout, so a slow or dead sidecar
 * never holds a chat for long. Every failure is an {@link AppError}:
 * `browser_unavailable`, `browser_busy`, `page_refused`,
 * `page_fetch_failed`, `page_timeout` or `egress_refused`.
 */
export function createBrowserClient(o: BrowserClientOptions) {
  const base = o.baseUrl.replace(/\/+$/, '');
  const slots = new Semaphore(o.concurrency);
  let localUntil = 0;

  async function ensureLocal(): Promise<void> {
    if (!o.localOnly || Date.now() < localUntil) return;
    await assertLocalEndpoint(base, o.resolve);
    localUntil = Date.now() + LOCAL_CHECK_TTL_MS;
  }

  /** One request to the sidecar; the body is read under the same deadline. */
  async function call(path: string, init: RequestInit, timeoutMs: number, onTimeout: () => AppError, signal?: AbortSignal): Promise<unknown> {
    await ensureLocal();
    const deadline = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
    let status: number;
    let text: string;
    try {
      // redirect: manual, so the token only ever goes to the configured address.
      const res = await fetch(`${base}${path}`, {
        ...init,
        headers: { ...(init.headers as Record<string, string>), accept: 'application/json', authorization: `Bearer ${o.token}` },
        redirect: 'manual',
        signal: combined,
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      if (deadline.aborted) throw onTimeout();
      throw unreachable(base, err);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (status < 200 || status > 299) throw sidecarError(base, status, body);
    return body;
  }

  function shaped<S extends z.ZodType>(schema: S, body: unknown, what: string): z.infer<S> {
    const r = schema.safeParse(body);
    if (!r.success) throw new AppError('browser_unavailable', `${sidecarName(base)} answered something that is not ${what}`, { reason: 'browser_unreachable' });
    return r.data;
  }

  return {
    /**
     * Fetches a page through the sidecar: waits up to the configured time
     * for one of this server's slots, then up to the timeout for the page.
     */
    async fetchPage(req: FetchRequest, options: FetchPageOptions = {}): Promise<FetchResult> {
      const parsed = fetchRequestSchema.safeParse(req);
      if (!parsed.success)
        throw new AppError(
          'page_refused',
          `not a request the browser service takes: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`,
        );
      const release = await slots.acquire(o.waitMs, options.signal);
      if (!release) {
        throw new AppError(
          'browser_busy',
          `all ${o.concurrency} page fetches of this server are in use and none came free within ${o.waitMs / 1000} s; try again shortly (BROWSER_CLIENT_CONCURRENCY)`,
        );
      }
      try {
        const body = await call(
          '/fetch',
          { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(parsed.data) },
          o.timeoutMs,
          () => new AppError('page_timeout', `the page did not load within ${o.timeoutMs / 1000} s (BROWSER_CLIENT_TIMEOUT_SECONDS)`),
          options.signal,
        );
        return shaped(fetchResultSchema, body, 'a page') as FetchResult;
      } finally {
        release();
      }
    },

    /** Asks the sidecar how its pool is; it does not wait for a slot. */
    async health(): Promise<BrowserHealth> {
      const timeoutMs = o.healthTimeoutMs ?? 1500;
      const body = await call(
        '/health',
        { method: 'GET' },
        timeoutMs,
        () => new AppError('browser_unavailable', `${sidecarName(base)} did not answer within ${timeoutMs} ms`, { reason: 'browser_unreachable' }),
      );
      return shaped(healthSchema, body, 'a health report');
    },

    /** This server's slots: the limit, in use, and waiting. */
    stats: (): BrowserClientStats => ({ limit: slots.limit, active: slots.inUse, waiting: slots.waiting }),

    /** The sidecar's address (origin only), for pages and messages. */
    origin: new URL(base).origin,
  };
}

/** The browser sidecar client. */
export type BrowserClient = ReturnType<typeof createBrowserClient>;

/** The part of the client that reads pages, for code that only needs that (and for tests). */
export type PageFetcher = Pick<BrowserClient, 'fetchPage'>;
