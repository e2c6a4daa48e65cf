import { request } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { App } from '../../server/app.ts';
import { ORIGIN } from './client.ts';

/** An app served over real HTTP on 127.0.0.1. */
export interface LoopbackServer {
  port: number;
  /** Sends a request from a chosen loopback source address (127.0.0.2, 127.0.0.3…), so the server sees distinct peers. */
  from(
    source: string,
    method: string,
    path: string,
    o?: { json?: unknown; form?: Record<string, string>; headers?: Record<string, string> },
  ): Promise<LoopbackResponse>;
  close(): Promise<void>;
}

/** A response read whole. */
export interface LoopbackResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The parsed JSON body, or {} when it is not JSON. */
  body: Record<string, unknown>;
}

/** Serves `app` on 127.0.0.1 (any free port); every request goes over a real socket. */
export async function serveOnLoopback(app: App): Promise<LoopbackServer> {
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    from(source, method, path, o = {}) {
      const headers: Record<string, string> = { origin: ORIGIN, ...o.headers };
      let payload: string | undefined;
      if (o.json !== undefined) {
        payload = JSON.stringify(o.json);
        headers['content-type'] = 'application/json';
      } else if (o.form) {
        payload = new URLSearchParams(o.form).toString();
        headers['content-type'] = 'application/x-www-form-urlencoded';
      }
      return new Promise((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, localAddress: source, method, path, headers, agent: false }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (d: Buffer) => chunks.push(d));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: Record<string, unknown> = {};
            try {
              body = JSON.parse(text) as Record<string, unknown>;
            } catch {
              // an HTML page
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
          });
        });
        req.on('error', reject);
        req.end(payload);
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
