import { streamSSE } from 'hono/streaming';
import { describe, expect, it } from 'vitest';
import { streamStart } from '../../../../server/http/middleware/stream-start.ts';
import { tinyApp } from '../../../helpers/middleware.ts';

// The Node response the adapter writes to, reduced to what streamStart touches. Corking also queues
// a tick of its own: whatever the adapter does once corked runs before the uncork, never after it.
function fakeOutgoing() {
  const calls: string[] = [];
  return {
    calls,
    outgoing: {
      cork: () => {
        calls.push('cork');
        process.nextTick(() => calls.push('next tick'));
      },
      uncork: () => calls.push('uncork'),
    },
  };
}

const app = tinyApp()
  .use(streamStart)
  .get('/events', (c) => streamSSE(c, async (s) => s.writeSSE({ event: 'token', data: 'hi' })))
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

  it('does nothing without a Node response to cork (in-process requests)', async () => {
    const res = await app.request('/events');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('event: token\ndata: hi\n\n');
    expect((await app.request('/events', {}, { outgoing: {} })).status).toBe(200);
  });
});
