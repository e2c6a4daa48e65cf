// Access to the conversations API for chat.js: JSON calls carrying the
// session's CSRF token, and a reader for answers streamed as Server-Sent
// Events in a POST response body (EventSource can only GET).
(() => {
  const csrfToken = () => document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';

  /**
   * Sends a request to the API; resolves with the Response, whatever its status.
   * @param {string} method
   * @param {string} url
   * @param {unknown} [body] sent as JSON
   * @returns {Promise<Response>}
   */
  function call(method, url, body) {
    /** @type {Record<string, string>} */
    const headers = { 'x-csrf-token': csrfToken(), accept: 'application/json, text/event-stream' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return fetch(url, { method, headers, credentials: 'same-origin', body: body === undefined ? null : JSON.stringify(body) });
  }

  /**
   * The human message of an API error answer (`{"error":{"code","message"}}`).
   * @param {Response} res
   * @returns {Promise<string>}
   */
  async function errorText(res) {
    try {
      const body = await res.json();
      if (body && body.error && body.error.message) return body.error.message;
    } catch {
      // Not JSON: fall back to the status line.
    }
    return `The server answered ${res.status} ${res.statusText}`.trim();
  }

  /**
   * Sends a request and resolves with its JSON body; an error answer rejects with its message.
   * @param {string} method
   * @param {string} url
   * @param {unknown} [body]
   * @returns {Promise<unknown>} what the caller expects of this endpoint, which it names with a JSDoc cast
   */
  async function json(method, url, body) {
    const res = await call(method, url, body);
    if (!res.ok) throw new Error(await errorText(res));
    return res.status === 204 ? null : res.json();
  }

  /** Whether a response is an event stream (an answer) rather than a JSON error. */
  const isStream = (/** @type {Response} */ res) => (res.headers.get('content-type') ?? '').startsWith('text/event-stream');

  /**
   * One event of an event stream, or undefined for a block without data.
   * @param {string} block
   * @returns {{ event: string, data: unknown } | undefined}
   */
  function parseBlock(block) {
    let event = 'message';
    const data = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length === 0) return undefined;
    const text = data.join('\n');
    try {
      return { event, data: JSON.parse(text) };
    } catch {
      return { event, data: { message: text } };
    }
  }

  /**
   * Reads a Server-Sent Events body to its end, calling onEvent(name, data) for each event.
   * @param {Response} res
   * @param {(...event: OnsiteChatEvent) => void} onEvent
   * @returns {Promise<void>}
   */
  async function readEvents(res, onEvent) {
    // No body at all: nothing to read, and the caller says the answer ended early.
    if (!res.body) return;
    const reader = res.body.getReader();
    const decoder = new window.TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      buffer += decoder.decode(value, { stream: !done }).replace(/\r\n?/g, '\n');
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const parsed = parseBlock(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        // The server (server/http/sse.ts) decides which events carry what; chat.js ignores names it does not know.
        if (parsed) onEvent(.../** @type {OnsiteChatEvent} */ ([parsed.event, parsed.data]));
      }
      if (done) return;
    }
  }

  /**
   * What a failed call says, for the page: an Error's message, or the value thrown.
   * @param {unknown} err
   */
  const messageOf = (err) => (err instanceof Error ? err.message : String(err));

  window.onsiteChatApi = { call, json, errorText, isStream, readEvents, messageOf };
})();
