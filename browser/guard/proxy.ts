import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Log } from '../../server/kernel/log.ts';
import type { Guard, Verdict } from './guard.ts';

/** A running guard proxy. */
export interface GuardProxy {
  /** `http://127.0.0.1:<port>`, for Chromium's --proxy-server. */
  readonly url: string;
  /** Connections refused and made so far. */
  readonly stats: { refused: number; connected: number };
  close(): Promise<void>;
}

/** Header carrying the refusal code on a refused plain-HTTP request, for logs and tests. */
export const REFUSED_HEADER = 'x-onsite-refused';

/** Header marking a 502 the proxy made itself because the site could not be reached. */
export const PROXY_ERROR_HEADER = 'x-onsite-proxy-error';

// Hop-by-hop and proxy headers are not forwarded (RFC 9110 §7.6.1).
const HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * The HTTP proxy every Chromium in the pool must use: the last line of the
 * SSRF guard. Chromium resolves no names itself; for each plain request or
 * CONNECT tunnel the proxy asks the guard, then connects to exactly the
 * address the guard checked, so a DNS answer cannot change in between.
 * It listens on loopback only.
 */
export async function startGuardProxy(guard: Guard, log: Log, connectTimeoutMs = 10_000): Promise<GuardProxy> {
  const stats = { refused: 0, connected: 0 };
  const sockets = new Set<Socket | Duplex>();
  const track = <T extends Socket | Duplex>(s: T): T => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    return s;
  };

  const refused = (target: string, v: Extract<Verdict, { ok: false }>) => {
    stats.refused++;
    log.info({ target, code: v.code }, 'guard refused a connection');
  };

  const server: Server = createServer((req, res) => void forward(req, res));
  server.on('connection', (s) => track(s));

  async function forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = req.url ?? '';
    if (!/^https?:\/\//i.test(target)) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end("this is a forward proxy for the sidecar's browsers only\n");
      return;
    }
    const verdict = await guard.checkUrl(target);
    if (!verdict.ok) {
      refused(target, verdict);
      res.writeHead(403, { 'content-type': 'text/plain', [REFUSED_HEADER]: verdict.code }).end(`${verdict.reason}\n`);
      return;
    }
    const url = new URL(target);
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP.has(k)) headers[k] = v;
    headers.host = url.host;
    stats.connected++;
    const upstream = httpRequest({
      host: verdict.address,
      family: verdict.family,
      port: verdict.port,
      method: req.method,
      path: `${url.pathname}${url.search}`,
      headers,
      setHost: false,
      agent: false,
      timeout: connectTimeoutMs,
    });
    upstream.on('response', (up) => {
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !HOP.has(k)) out[k] = v;
      res.writeHead(up.statusCode ?? 502, up.statusMessage, out);
      up.pipe(res);
    });
    upstream.on('timeout', () => upstream.destroy(new Error('upstream timed out')));
    upstream.on('error', (err) => {
      if (!res.headersSent)
        res
          .writeHead(502, { 'content-type': 'text/plain', [PROXY_ERROR_HEADER]: encodeURIComponent(err.message) })
          .end(`could not reach ${url.host}: ${err.message}\n`);
      else res.destroy();
    });
    req.pipe(upstream);
  }

  // HTTPS and WebSockets: a tunnel to the checked address.
  server.on('connect', (req: IncomingMessage, client: Duplex, head: Buffer) => {
    track(client);
    client.on('error', () => client.destroy());
    void (async () => {
      const m = /^(\[[0-9a-f:.]+\]|[^:]+):(\d{1,5})$/i.exec(req.url ?? '');
      const verdict: Verdict = m ? await guard.checkHost(m[1]!, Number(m[2])) : { ok: false, code: 'url_invalid', reason: 'bad CONNECT target' };
      if (!verdict.ok) {
        refused(req.url ?? '', verdict);
        client.end(`HTTP/1.1 403 Forbidden\r\n${REFUSED_HEADER}: ${verdict.code}\r\ncontent-length: 0\r\n\r\n`);
        return;
      }
      stats.connected++;
      const upstream = track(connect({ host: verdict.address, port: verdict.port, family: verdict.family, timeout: connectTimeoutMs }));
      upstream.once('connect', () => {
        upstream.setTimeout(0);
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length > 0) upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('timeout', () => upstream.destroy(new Error('connect timed out')));
      upstream.on('error', () => {
        if (client.writable) client.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n');
        client.destroy();
      });
      client.on('close', () => upstream.destroy());
    })().catch(() => {
      // Nothing above is expected to throw (the guard answers refusals as values); should it, this
      // tunnel is closed rather than the sidecar stopped by an unhandled rejection.
      client.destroy();
    });
  });

  // Chromium tunnels WebSockets with CONNECT; a plain Upgrade through the proxy is not offered.
  server.on('upgrade', (_req: IncomingMessage, socket: Duplex) => {
    socket.end('HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n');
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
