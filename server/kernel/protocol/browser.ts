import { z } from 'zod';

/**
 * The browser sidecar's API (`onsite browser`), shared by the sidecar and the
 * server's client. Every call carries `Authorization: Bearer
 * BROWSER_SERVICE_AUTH_TOKEN`; errors are `{"error":{"code","message"}}`.
 */

/** Longest URL the sidecar accepts. */
export const MAX_URL_LENGTH = 2048;

/** Largest request body the sidecar reads; beyond it, 413. */
export const MAX_FETCH_BODY_BYTES = 16 * 1024;

/** Most links returned per page. */
export const MAX_LINKS = 200;

/** Most characters of readable text returned per page. */
export const MAX_TEXT_CHARS = 200_000;

/** `POST /fetch` body. */
export const fetchRequestSchema = z
  .object({
    url: z.string().min(1).max(MAX_URL_LENGTH),
    /** Settle time after load, in ms; the sidecar's BROWSER_SERVICE_FETCH_WAIT_SECONDS when absent. */
    waitMs: z.number().int().min(0).max(10_000).optional(),
    /** Attach a PNG screenshot of the viewport (base64). */
    screenshot: z.boolean().optional(),
    /** Cap on bytes the page may download, at most the sidecar's own cap. */
    maxBytes: z
      .number()
      .int()
      .min(1024)
      .max(256 * 1024 * 1024)
      .optional(),
  })
  .strict();
export type FetchRequest = z.infer<typeof fetchRequestSchema>;

/** A request of the page that the guard refused (the page itself still loaded). */
export interface BlockedRequest {
  url: string;
  code: RefusalCode;
  reason: string;
}

/** `POST /fetch` reply. */
export interface FetchResult {
  /** The URL asked for. */
  url: string;
  /** Where the page ended up after redirects. */
  finalUrl: string;
  /** HTTP status of the final document. */
  status: number;
  title: string;
  /** Readable main text (boilerplate removed), at most {@link MAX_TEXT_CHARS}. */
  text: string;
  /** True when the text was cut at {@link MAX_TEXT_CHARS}. */
  textTruncated: boolean;
  links: Array<{ url: string; text: string }>;
  /** Subresources, frames or workers the guard refused. */
  blocked: BlockedRequest[];
  /** Bytes the page downloaded. */
  bytes: number;
  /** PNG, base64, when asked for. */
  screenshot?: string;
  elapsedMs: number;
}

/** Why the guard refused a URL; stable codes, each with a reason for people. */
export type RefusalCode = 'url_invalid' | 'scheme_refused' | 'address_refused' | 'egress_refused' | 'dns_failed' | 'too_many_redirects';

/** Error codes `POST /fetch` answers with, and their statuses. */
export const FETCH_ERROR_STATUS = {
  validation_failed: 400,
  unauthorized: 401,
  url_refused: 403,
  payload_too_large: 413,
  fetch_failed: 502,
  page_too_large: 502,
  browser_crashed: 502,
  browser_busy: 503,
  fetch_timeout: 504,
} as const;
export type FetchErrorCode = keyof typeof FETCH_ERROR_STATUS;

/** `GET /health` reply. */
export interface BrowserHealth {
  /** ok: every pooled browser is up; degraded: some are (re)starting; down: none is. */
  status: 'ok' | 'degraded' | 'down';
  version: string;
  pool: {
    size: number;
    alive: number;
    maxSessions: number;
    active: number;
    waiting: number;
    launched: number;
    replaced: number;
    served: number;
  };
}
