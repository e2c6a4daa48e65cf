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
 */
export const streamStart: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  const out = c.env?.outgoing;
  if (!out || typeof out.cork !== 'function' || !c.res.headers.get('content-type')?.startsWith('text/event-stream')) return;
  out.cork();
  process.nextTick(() => out.uncork());
};
