import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the stand-in received. */
export interface SeenCall {
  method: string;
  path: string;
  authorization: string | undefined;
  body: unknown;
}

/** How the stand-in answers a request; may wait (to test timeouts and slots). */
export type Answer = (call: SeenCall, res: ServerResponse) => void | Promise<void>;

/**
 * A stand-in for the browser sidecar on 127.0.0.1, for the client's own
 * behaviour only (token, timeouts, slots, error mapping). The real sidecar
 * is exercised end to end in test/e2e/browser-chat.e2e.test.ts.
 */
export interface StandIn {
  url: string;
  calls: SeenCall[];
  /** Replaces how requests are answered. */
  answer(fn: Answer): void;
  close(): Promise<void>;
}

/** Sends a JSON body with a status. */
export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** A page as the sidecar returns it. */
export const page = (url: string, extra: Record<string, unknown> = {}) => ({
  url,
  finalUrl: url,
  status: 200,
  title: 'A page',
  text: 'Readable text of the page.',
  textTruncated: false,
  links: [],
  blocked: [],
  bytes: 1234,
  elapsedMs: 12,
  ...extra,
});

/** A health report as the sidecar returns it. */
export const healthReport = (extra: Record<string, unknown> = {}) => ({
  status: 'ok',
  version: '9.9.9',
  pool: { size: 6, alive: 6, maxSessions: 12, active: 1, waiting: 0, launched: 6, replaced: 0, served: 42 },
  ...extra,
});

const readBody = async (req: IncomingMessage): Promise<unknown> => {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return text;
  }
};

/** Starts the stand-in; by default it answers /fetch with a page and /health with an ok report. */
export async function startStandIn(): Promise<StandIn> {
  const calls: SeenCall[] = [];
  let answer: Answer = (call, res) => (call.path === '/health' ? json(res, 200, healthReport()) : json(res, 200, page((call.body as { url: string }).url)));
  const server = createServer((req, res) => {
    void (async () => {
      const call: SeenCall = { method: req.method ?? 'GET', path: req.url ?? '/', authorization: req.headers.authorization, body: await readBody(req) };
      calls.push(call);
      try {
        await answer(call, res);
      } catch {
        res.destroy();
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    answer: (fn) => void (answer = fn),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
