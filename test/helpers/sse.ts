/** One Server-Sent Event. */
export interface SseEvent {
  event: string;
  data: string;
}

/** Reads a `text/event-stream` response event by event. */
export async function* readSse(res: Response): AsyncGenerator<SseEvent> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event = 'message';
  let data: string[] = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).replace(/\r$/, '');
      buffer = buffer.slice(nl + 1);
      if (line === '') {
        if (data.length) yield { event, data: data.join('\n') };
        event = 'message';
        data = [];
      } else if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
  }
}

// Parsed test payloads are read loosely (deep property access in assertions).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Payload = Record<string, any>;

/** Collects a chat reply stream: the token deltas and the final event. */
export async function collectReply(res: Response): Promise<{ tokens: string[]; start: Payload | undefined; end: SseEvent | undefined; final: Payload | undefined }> {
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
