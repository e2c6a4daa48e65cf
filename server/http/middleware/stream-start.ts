import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../types.ts';

/**
 * Sends an event stream's headers and its first event in one packet. The
 * Node adapter flushes a streamed response's headers on their own and then
 * writes each chunk as it comes, so a stream whose first event is ready at
 * once (a chat answer starts only when its first token is there) cost two
 * writes and two wake-ups of the client before it saw that token. The
 * socket stays corked only until the pending promise callbacks have run:
 * the adapter writes the head and any chunk already queued within them,
 * and whatever comes later is written as before.
 *
 * The socket is corked, never the response: Node 22 and later keep the
 * chunks written to a corked response aside until its uncork, and its
 * `end()` sends the closing chunk first. A stream that ended before the
 * uncork (a short answer already complete when the stream starts) reached
 * the client as an empty body, its events after the end of the response.
 */
export const streamStart: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  const socket = c.env?.outgoing?.socket;
  if (!socket || typeof socket.cork !== 'function' || !c.res.headers.get('content-type')?.startsWith('text/event-stream')) return;
  socket.cork();
  process.nextTick(() => socket.uncork());
};
