import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { streamSSE } from 'hono/streaming';
import { describe, expect, it } from 'vitest';
import { streamStart } from '../../../../server/http/middleware/stream-start.ts';
import { tinyApp } from '../../../helpers/middleware.ts';

// The Node response the adapter writes to, reduced to what streamStart touches (its socket). Corking
// also queues a tick of its own: whatever the adapter does once corked runs before the uncork, never after it.
function fakeOutgoing() {
  const calls: string[] = [];
  return {
    calls,
    outgoing: {
      socket: {
        cork: () => {
          calls.push('cork');
          process.nextTick(() => calls.push('next tick'));
        },
        uncork: () => calls.push('uncork'),
      },
    },
  };
}

// Every event of a stream ready at once: the whole response is written and ended before the next tick.
const EVENTS = Array.from({ length: 20 }, (_, i) => `event: token\ndata: ${i}\n\n`).join('') + 'event: done\ndata: {}\n\n';

const app = tinyApp()
  .use(streamStart)
  .get('/events', (c) => streamSSE(c, async (s) => s.writeSSE({ event: 'token', data: 'hi' })))
  .get('/ready', (c) =>
    streamSSE(c, async (s) => {
      for (let i = 0; i < 20; i++) await s.writeSSE({ event: 'token', data: String(i) });
      await s.writeSSE({ event: 'done', data: '{}' });
    }),
  )
  .get('/events-utf8', (c) => c.body('data: x\n\n', 200, { 'content-type': 'text/event-stream; charset=utf-8' }))
  .get('/page', (c) => c.html('<p>hi</p>'))
  .get('/json', (c) => c.json({ ok: true }));

describe('stream start', () => {
  it.each(['/events', '/events-utf8'])('corks the socket for an event stream (%s) and uncorks it a tick later', async (path) => {
    const fake = fakeOutgoing();
    const res = await app.request(path, {}, { outgoing: fake.outgoing });
    expect(res.status).toBe(200);
    await new Promise((r) => setImmediate(r));
    expect(fake.calls).toEqual(['cork', 'next tick', 'uncork']);
  });

  it.each(['/page', '/json'])('leaves any other response (%s) alone', async (path) => {
    const fake = fakeOutgoing();
    const res = await app.request(path, {}, { outgoing: fake.outgoing });
    expect(res.status).toBe(200);
    await new Promise((r) => setImmediate(r));
    expect(fake.calls).toEqual([]);
  });

  // Node 22 and later hold a corked response's chunks until its uncork, and its end() sends the closing
  // chunk before them: corking the response made such a stream reach the client as an empty body.
  it('delivers every event of a stream that ends before the uncork, over real HTTP', async () => {
    const server = createAdaptorServer({ fetch: app.fetch });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`http://127.0.0.1:${port}/ready`);
        expect(res.headers.get('content-type')).toBe('text/event-stream');
        expect(await res.text()).toBe(EVENTS);
      }
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('does nothing without a Node response to cork (in-process requests)', async () => {
    const res = await app.request('/events');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('event: token\ndata: hi\n\n');
    expect((await app.request('/events', {}, { outgoing: {} })).status).toBe(200);
    expect((await app.request('/events', {}, { outgoing: { socket: null } })).status).toBe(200); // queued behind a pipelined response
  });
});
