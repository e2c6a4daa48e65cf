import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { ChatStreamEvent, Reply } from '../chat/chat.service.ts';
import type { ErrorCode } from '../kernel/errors.ts';
import { errorResponse } from './errors.ts';

// Codes that mean "nothing could run it": answered as plain HTTP errors, not as a stream.
const BEFORE_STREAM: ReadonlySet<string> = new Set(['miners_busy', 'no_miner', 'generation_failed', 'streams_exhausted', 'budget_exceeded']);

/**
 * Sends a chat reply as Server-Sent Events: `start` (message ids),
 * `sources` when the question linked web pages, `token` per delta, then
 * `done` or `error`. When the first event after the sources is already a
 * failure (no miner free within the wait) it answers with that error's
 * HTTP status instead, so clients see a real 503 (the stored answer keeps
 * its sources). A client that goes away stops the generation.
 */
export async function sendReply(c: Context, reply: Reply) {
  const it = reply.events[Symbol.asyncIterator]();
  const lead: ChatStreamEvent[] = [];
  let next = await it.next();
  while (!next.done && next.value.type === 'sources') {
    lead.push(next.value);
    next = await it.next();
  }
  const ev = next.done ? undefined : next.value;
  if (ev?.type === 'error' && BEFORE_STREAM.has(ev.code) && !ev.partial.content) {
    await it.return?.(undefined); // finishes the reply: its generation slot is freed
    return errorResponse(c, ev.code as ErrorCode, ev.message, { message_id: reply.assistant.id });
  }
  return streamSSE(c, async (stream) => {
    stream.onAbort(() => reply.abort());
    await stream.writeSSE({ event: 'start', data: JSON.stringify({ userMessage: reply.userMessage, assistant: reply.assistant }) });
    const write = (e: ChatStreamEvent) => stream.writeSSE({ event: e.type, data: JSON.stringify(e.type === 'token' ? { delta: e.delta } : e) });
    for (const e of lead) await write(e);
    if (ev) await write(ev);
    for (let r = await it.next(); !r.done; r = await it.next()) {
      if (stream.aborted) break;
      await write(r.value);
    }
  });
}
