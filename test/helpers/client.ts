import type { App } from '../../server/app.ts';

/** Base URL the test apps think they serve (APP_BASE_URL default). */
export const ORIGIN = 'http://localhost:8000';

/** A JSON response with its parsed body. */
export interface JsonResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

/**
 * A browser-like client over `app.request()`: keeps the session cookie,
 * sends a same-origin Origin and the CSRF token it was given.
 */
export class TestClient {
  cookie: string | undefined;
  csrf: string | undefined;

  constructor(
    private readonly app: App,
    private readonly origin = ORIGIN,
  ) {}

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<JsonResponse> {
    const h: Record<string, string> = { origin: this.origin, ...headers };
    if (this.cookie) h.cookie = this.cookie;
    if (this.csrf && method !== 'GET') h['x-csrf-token'] = this.csrf;
    if (body !== undefined) h['content-type'] = 'application/json';
    const res = await this.app.request(`${this.origin}${path}`, { method, headers: h, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const setCookie = res.headers.get('set-cookie');
    if (setCookie) {
      const m = /^(onsite_session)=([^;]*)/.exec(setCookie);
      if (m) this.cookie = m[2] ? `${m[1]}=${m[2]}` : undefined;
    }
    const text = await res.text();
    let parsed: Record<string, unknown>;
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      parsed = { text };
    }
    if (typeof parsed.csrfToken === 'string') this.csrf = parsed.csrfToken;
    return { status: res.status, body: parsed, headers: res.headers };
  }

  /** Sends a request and returns the raw response (for streams), with the session and CSRF token. */
  raw(method: string, path: string, body?: unknown, init: RequestInit = {}): Promise<Response> {
    const h: Record<string, string> = { origin: this.origin };
    if (this.cookie) h.cookie = this.cookie;
    if (this.csrf && method !== 'GET') h['x-csrf-token'] = this.csrf;
    if (body !== undefined) h['content-type'] = 'application/json';
    return Promise.resolve(
      this.app.request(`${this.origin}${path}`, { method, headers: h, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), ...init }),
    );
  }

  get = (path: string, headers?: Record<string, string>) => this.request('GET', path, undefined, headers);
  post = (path: string, body?: unknown, headers?: Record<string, string>) => this.request('POST', path, body ?? {}, headers);
  patch = (path: string, body: unknown) => this.request('PATCH', path, body);
  delete = (path: string) => this.request('DELETE', path);
}

/** The error code of a JSON error response. */
export const codeOf = (r: JsonResponse): string | undefined => (r.body.error as { code?: string } | undefined)?.code;

/** A strong password for tests. */
export const PASSWORD = 'correct-Horse-battery-9';
