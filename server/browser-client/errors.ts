import { AppError, type ErrorCode } from '../kernel/errors.ts';
import type { FetchErrorCode } from '../kernel/protocol/browser.ts';

/**
 * How each error of the sidecar's `POST /fetch` reaches the rest of the
 * server. Page problems (refused, failed, slow) are the page's; the others
 * mean the browser service itself cannot help now.
 */
const MAPPED: Record<FetchErrorCode, ErrorCode> = {
  validation_failed: 'page_refused',
  unauthorized: 'browser_unavailable',
  url_refused: 'page_refused',
  payload_too_large: 'page_refused',
  fetch_failed: 'page_fetch_failed',
  page_too_large: 'page_fetch_failed',
  browser_crashed: 'page_fetch_failed',
  browser_busy: 'browser_busy',
  fetch_timeout: 'page_timeout',
};

// Sidecar messages are written for people; a long or odd one is cut rather than passed on whole.
const MAX_MESSAGE = 300;

/** Where the sidecar is, for messages: its origin only, never credentials in a URL. */
export function sidecarName(baseUrl: string): string {
  return `the browser service at ${new URL(baseUrl).origin}`;
}

/** The reason given when the sidecar refuses this server's bearer token. */
export function tokenRefused(baseUrl: string): AppError {
  return new AppError(
    'browser_unavailable',
    `${sidecarName(baseUrl)} refused this server's token: BROWSER_SERVICE_AUTH_TOKEN must be the same for the server and the browser service`,
    { reason: 'browser_token_refused' },
  );
}

/** Turns a non-2xx answer of the sidecar into an {@link AppError} with a stable code. */
export function sidecarError(baseUrl: string, status: number, body: unknown): AppError {
  if (status === 401) return tokenRefused(baseUrl);
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const code = typeof error?.code === 'string' && Object.hasOwn(MAPPED, error.code) ? (error.code as FetchErrorCode) : undefined;
  const message = typeof error?.message === 'string' && error.message.trim() ? error.message.trim().slice(0, MAX_MESSAGE) : undefined;
  if (code) return new AppError(MAPPED[code], message ?? code.replace(/_/g, ' '), { sidecarCode: code, status });
  // Not the sidecar's error shape: something else answers at that address, or it broke.
  return new AppError('browser_unavailable', `${sidecarName(baseUrl)} answered ${status}${message ? `: ${message}` : ''}`, {
    reason: 'browser_unreachable',
    status,
  });
}

/** Turns a failure to reach the sidecar at all (refused, no such host, reset) into `browser_unavailable`. */
export function unreachable(baseUrl: string, err: unknown): AppError {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  const why = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : err instanceof Error ? err.message : 'error';
  return new AppError('browser_unavailable', `${sidecarName(baseUrl)} cannot be reached (${why})`, { reason: 'browser_unreachable' });
}
