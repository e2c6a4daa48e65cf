import { readSseEvents, type SseEvent } from '../../server/kernel/sse.ts';

export type { SseEvent };

/** Reads a `text/event-stream` response event by event. */
export function readSse(res: Response): AsyncGenerator<SseEvent> {
  return readSseEvents(res.body!);
}

// Parsed test payloads are read loosely (deep property access in assertions).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Payload = Record<string, any>;

/** Collects a chat reply stream: the token deltas and the final event. */
export async function collectReply(
  res: Response,
): Promise<{ tokens: string[]; start: Payload | undefined; end: SseEvent | undefined; final: Payload | undefined }> {
  const tokens: string[] = [];
  let start: Payload | undefined;
  let end: SseEvent | undefined;
  for await (const e of readSse(res)) {
    if (e.event === 'start') start = JSON.parse(e.data);
    else if (e.event === 'token') tokens.push((JSON.parse(e.data) as { delta: string }).delta);
    else end = e;
  }
  return { tokens, start, end, final: end ? JSON.parse(end.data) : undefined };
}
