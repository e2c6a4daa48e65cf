import { STATUS_CODES } from 'node:http';
import { Readable } from 'node:stream';
import { Ollama } from 'ollama';
import { request } from 'undici';
import type { JobFailureCode } from '../server/kernel/protocol/miner.ts';

/** Options of {@link createOllamaClient}. */
export interface OllamaClientOptions {
  /** Aborts every request of this client (a cancelled job). */
  signal?: AbortSignal;
  /** Gives up on each request after this long (health checks). */
  timeoutMs?: number;
}

/**
 * A `fetch` for the `ollama` client made of undici's `request`: the global
 * fetch sends every body through an async iterator and builds a Request
 * per call, which cost about 0.18 ms of CPU per job on the miner's only
 * thread (test/bench figures in the commit); `request` writes the JSON body
 * in one go. The reply is handed back as a standard Response.
 */
async function requestFetch(input: string | URL | Request, init: RequestInit | undefined, signal: AbortSignal | null): Promise<Response> {
  // An abort rejects with the signal's reason (a stop, or a TimeoutError), as fetch would.
  const res = await request(String(input), {
    method: init?.method ?? 'GET',
    headers: (init?.headers as Record<string, string> | undefined) ?? null,
    body: (init?.body as string | undefined) ?? null,
    signal,
  });
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  const empty = res.statusCode === 204 || res.statusCode === 304 || init?.method === 'HEAD';
  if (empty) await res.body.dump();
  return new Response(empty ? null : (Readable.toWeb(res.body) as ReadableStream<Uint8Array>), {
    status: res.statusCode,
    statusText: STATUS_CODES[res.statusCode] ?? '',
    headers,
  });
}

/**
 * Creates an `ollama` client for one purpose. Its fetch adds the caller's
 * abort signal to every request, because the client passes no signal for
 * non-streamed calls (embed) nor before a stream's first bytes arrive (a
 * model still loading), and a cancel must reach Ollama in both cases.
 */
export function createOllamaClient(host: string, options: OllamaClientOptions = {}): Ollama {
  const wrapped: typeof fetch = async (input, init) => {
    const signals = [init?.signal, options.signal, options.timeoutMs ? AbortSignal.timeout(options.timeoutMs) : undefined].filter(
      (s): s is AbortSignal => s instanceof AbortSignal,
    );
    const res = await requestFetch(input, init, signals.length > 1 ? AbortSignal.any(signals) : (signals[0] ?? null));
    if (res.ok || res.headers.get('content-type')?.includes('application/json')) return res;
    // The client prints to stdout on a non-JSON error body; hand it JSON
    // instead so our log stays one JSON object per line.
    const text = (await res.text().catch(() => '')).trim();
    return new Response(JSON.stringify({ error: text || `HTTP ${res.status} ${res.statusText}` }), {
      status: res.status,
      statusText: res.statusText,
      headers: { 'content-type': 'application/json' },
    });
  };
  return new Ollama({ host, fetch: wrapped });
}

/** A failed Ollama call, as the protocol names it. */
export interface OllamaFailure {
  code: JobFailureCode;
  message: string;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

function networkCode(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return e.code;
  }
  return undefined;
}

/**
 * Maps an error from the `ollama` client to a protocol failure: aborted →
 * `cancelled`, HTTP 404 → `model_missing`, any other HTTP error →
 * `ollama_error` with Ollama's message, a refused or broken connection (or
 * a timeout) → `ollama_unreachable`.
 */
export function classifyOllamaError(err: unknown, signal?: AbortSignal): OllamaFailure {
  const e = err as { name?: string; message?: string; status_code?: number };
  const message = typeof e?.message === 'string' ? e.message : String(err);
  if (signal?.aborted || e?.name === 'AbortError') return { code: 'cancelled', message: 'cancelled' };
  if (e?.name === 'TimeoutError') return { code: 'ollama_unreachable', message: `Ollama did not answer in time (${message})` };
  if (e?.name === 'ResponseError' && typeof e.status_code === 'number') {
    if (e.status_code === 404) return { code: 'model_missing', message };
    return { code: 'ollama_error', message: `Ollama answered HTTP ${e.status_code}: ${message}` };
  }
  const code = networkCode(err);
  if (code || (err instanceof TypeError && /fetch failed|terminated|other side closed/i.test(message))) {
    return { code: 'ollama_unreachable', message: `Ollama is unreachable (${code ?? message})` };
  }
  return { code: 'ollama_error', message };
}
