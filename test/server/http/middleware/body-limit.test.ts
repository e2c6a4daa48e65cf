import { describe, expect, it } from 'vitest';
import { errorResponse } from '../../../../server/http/errors.ts';
import { bodyLimit } from '../../../../server/http/middleware/body-limit.ts';
import { codeOfResponse, tinyApp } from '../../../helpers/middleware.ts';

const MAX = 16;

function appFor() {
  let reached = 0;
  const app = tinyApp()
    .use(bodyLimit({ maxSize: MAX, onError: (c) => errorResponse(c, 'payload_too_large', `request body is larger than ${MAX} bytes`) }))
    .all('*', async (c) => {
      reached += 1;
      return c.json({ received: (await c.req.text()).length });
    });
  return { app, reached: () => reached };
}

// A body of unknown length (chunked): no Content-Length reaches the app.
const chunked = (...parts: string[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const p of parts) controller.enqueue(new TextEncoder().encode(p));
      controller.close();
    },
  });

const x = (n: number) => 'x'.repeat(n);

// A body as Node's adapter hands it over with its declared length (Node's parser never delivers more).
const declared = (body: string, headers: Record<string, string> = {}) => ({ body, headers: { 'content-length': String(Buffer.byteLength(body)), ...headers } });

describe('body limit', () => {
  const passes: Array<[why: string, init: RequestInit & { duplex?: 'half' }, received: number]> = [
    ['a declared body of exactly the limit', { method: 'POST', ...declared(x(MAX)) }, MAX],
    ['an empty body', { method: 'POST', ...declared('') }, 0],
    ['a chunked body within the limit', { method: 'POST', body: chunked(x(8), x(8)), duplex: 'half' }, MAX],
    ['a GET, whatever length it declares (GET has no body)', { method: 'GET', headers: { 'content-length': String(MAX * 100) } }, 0],
  ];
  it.each(passes)('lets through %s', async (_why, init, received) => {
    const { app, reached } = appFor();
    const res = await app.request('/api/thing', init);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received });
    expect(reached()).toBe(1);
  });

  const refused: Array<[why: string, init: RequestInit & { duplex?: 'half' }]> = [
    ['a declared length one past the limit', { method: 'POST', ...declared(x(MAX + 1)) }],
    ['a chunked body that grows past the limit', { method: 'POST', body: chunked(x(10), x(10)), duplex: 'half' }],
    // With Transfer-Encoding the declared length means nothing: the bytes are counted.
    [
      'a small declared length beside Transfer-Encoding, on a larger body',
      { method: 'PATCH', body: chunked(x(MAX * 2)), duplex: 'half', headers: { 'content-length': '4', 'transfer-encoding': 'chunked' } },
    ],
  ];
  it.each(refused)('refuses %s with 413 payload_too_large, before the route', async (_why, init) => {
    const { app, reached } = appFor();
    const res = await app.request('/api/thing', init);
    expect(res.status).toBe(413);
    expect(await codeOfResponse(res)).toBe('payload_too_large');
    expect(reached()).toBe(0);
  });

  it('judges a declared length before reading a byte of the body', async () => {
    let pulls = 0;
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          pulls += 1;
          controller.enqueue(new Uint8Array(1024));
        },
      },
      { highWaterMark: 0 },
    ); // pulled only when read
    const { app, reached } = appFor();
    const res = await app.request('/api/thing', {
      method: 'PUT',
      body,
      duplex: 'half',
      headers: { 'content-length': String(10 * 1024 * 1024) },
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(reached()).toBe(0);
    expect(pulls).toBe(0);
  });
});
