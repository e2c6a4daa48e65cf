// Access to the conversations API for chat.js: JSON calls carrying the
// session's CSRF token, and a reader for answers streamed as Server-Sent
// Events in a POST response body (EventSource can only GET).
(() => {
  const csrfToken = () => document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';

  /** Sends a request to the API; resolves with the Response, whatever its status. */
  function call(method, url, body) {
    const headers = { 'x-csrf-token': csrfToken(), accept: 'application/json, text/event-stream' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return fetch(url, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  }

  /** The human message of an API error answer (`{"error":{"code","message"}}`). */
  async function errorText(res) {
    try {
      const body = await res.json();
      if (body && body.error && body.error.message) return body.error.message;
    } catch {
      // Not JSON: fall back to the status line.
    }
    return `The server answered ${res.status} ${res.statusText}`.trim();
  }

  /** Sends a request and resolves with its JSON body; an error answer rejects with its message. */
  async function json(method, url, body) {
    const res = await call(method, url, body);
    if (!res.ok) throw new Error(await errorText(res));
    return res.status === 204 ? null : res.json();
  }

  /** Whether a response is an event stream (an answer) rather than a JSON error. */
  const isStream = (res) => (res.headers.get('content-type') ?? '').startsWith('text/event-stream');

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

  /** Reads a Server-Sent Events body to its end, calling onEvent(name, data) for each event. */
  async function readEvents(res, onEvent) {
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
        if (parsed) onEvent(parsed.event, parsed.data);
      }
      if (done) return;
    }
  }

  window.onsiteChatApi = { call, json, errorText, isStream, readEvents };
})();
