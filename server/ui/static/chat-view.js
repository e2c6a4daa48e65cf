// Builds chat messages in the page exactly as the server renders them
// (server/chat/chat-message.page.tsx), for answers that arrive while the page
// is open. Text always goes in through textContent; markup only ever comes
// from a message's `html` field, which the server rendered from markdown
// with raw HTML off and remote images replaced by text.
(() => {
  const TRUNCATED = 'Earlier parts of this conversation did not fit the model’s context window and were left out of this answer.';

  /**
   * Creates an element with attributes and optional text.
   * @template {keyof HTMLElementTagNameMap} K
   * @param {K} tag
   * @param {OnsiteAttrs} [attrs]
   * @param {string} [text]
   * @returns {HTMLElementTagNameMap[K]}
   */
  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs ?? {})) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /**
   * A small button acting on a message (data-action), found by tests through data-testid.
   * @param {string} label
   * @param {string} action
   * @param {string} [kind] its class; `link` by default
   */
  const actionButton = (label, action, kind) => el('button', { type: 'button', class: kind ?? 'link', 'data-action': action, 'data-testid': action }, label);

  /**
   * The line under an answer that did not finish normally (same words as the server's).
   * @param {OnsiteMessage} m
   */
  function markerText(m) {
    const partial = m.content ? ' The text above is what was generated until then.' : '';
    if (m.status === 'stopped') return `Stopped: ${m.error ?? 'stopped by the user'}.${partial}`;
    if (m.status === 'failed') return `Failed: ${m.error ?? 'the answer could not be generated'}.${partial}`;
    if (m.status === 'streaming') return 'Still being generated. Reload the page to see the rest.';
    return '';
  }

  /**
   * Whether a URL may become a link: http(s) only, never `javascript:` or `data:`.
   * @param {string} url
   */
  function isWebUrl(url) {
    try {
      return ['http:', 'https:'].includes(new URL(url).protocol);
    } catch {
      return false;
    }
  }

  /**
   * A link opening the page in a new tab without giving it this page, or plain text for anything else.
   * @param {string} url
   * @param {string} [text] shown instead of the URL
   */
  function sourceLink(url, text) {
    if (!isWebUrl(url)) return el('span', {}, text || url);
    return el('a', { href: url, rel: 'noopener noreferrer', target: '_blank' }, text || url);
  }

  /**
   * A document source: a link to the document page, at the cited chunk.
   * @param {OnsiteDocumentSource} s
   * @param {number} i its place in the list, from 0
   */
  function documentSource(s, i) {
    const item = el('li', { 'data-testid': 'source', 'data-status': 'ok', 'data-kind': 'document' });
    const href = `/documents/${s.documentId}${s.chunk === undefined || s.chunk === null ? '' : `#chunk-${s.chunk}`}`;
    const where = s.chunk === undefined || s.chunk === null ? 'whole document' : `part ${s.chunk + 1}`;
    item.append(`[${i + 1}] `, el('a', { href }, s.title), el('span', { class: 'host' }, where));
    if (s.truncated) item.append(el('span', { class: 'host' }, '(shortened to fit)'));
    return item;
  }

  /**
   * The sources under an answer, numbered as the answer cites them ([1],
   * [2]): documents of the knowledge base and web pages; a page that could
   * not be read says why. Same markup as the server's SourcesView
   * (chat-message.tsx).
   * @param {OnsiteSource[]} sources
   */
  function sourcesElement(sources) {
    const list = el('ol', { class: 'msg-sources', 'data-testid': 'message-sources', 'aria-label': 'Sources' });
    sources.forEach((s, i) => {
      if (s.kind === 'document') return void list.append(documentSource(s, i));
      const url = s.finalUrl ?? s.url;
      const item = el('li', { 'data-testid': 'source', 'data-status': s.error ? 'failed' : 'ok', 'data-kind': 'web' });
      if (s.error) {
        item.className = 'failed';
        item.append(`[${i + 1}] could not read `, sourceLink(s.url), `: ${s.error.message}`);
      } else {
        item.append(`[${i + 1}] `, sourceLink(url, s.title), el('span', { class: 'host' }, isWebUrl(url) ? new URL(url).host : ''));
        if (s.truncated) item.append(el('span', { class: 'host' }, '(shortened to fit)'));
      }
      list.append(item);
    });
    return list;
  }

  /**
   * One message element. `live` makes an answer being streamed: plain text
   * that tokens are appended to, without marker or buttons.
   * @param {OnsiteMessage} m
   * @param {boolean} live
   */
  function messageElement(m, live) {
    const status = m.status ?? 'complete';
    const article = el('article', {
      class: `msg ${m.role} ${status}`,
      'data-testid': 'message',
      'data-role': m.role,
      'data-id': m.id ?? '',
      'data-status': status,
    });
    article.append(el('div', { class: 'msg-meta' }, m.role === 'user' ? 'You' : (m.model ?? 'Assistant')));
    const rendered = m.role === 'assistant' && !live;
    const body = el('div', { class: rendered ? 'msg-body md' : live ? 'msg-body plain streaming' : 'msg-body plain', 'data-testid': 'message-body' });
    // The only place markup is inserted: the server's rendering of the answer.
    if (rendered) body.innerHTML = m.html ?? '';
    else body.textContent = m.content ?? '';
    article.append(body);
    if (live) return article;
    if (m.sources && m.sources.length > 0) article.append(sourcesElement(m.sources));
    const marker = m.role === 'assistant' ? markerText(m) : '';
    if (marker) article.append(el('p', { class: 'msg-marker', 'data-testid': 'message-marker' }, marker));
    if (m.truncated) article.append(el('p', { class: 'msg-notice', 'data-testid': 'truncated-notice' }, TRUNCATED));
    const actions = el('div', { class: 'msg-actions' });
    actions.append(m.role === 'user' ? actionButton('Edit', 'edit') : actionButton('Copy', 'copy'));
    article.append(actions);
    return article;
  }

  /** An answer that has not started yet (waiting for a miner). */
  const placeholder = () => messageElement({ role: 'assistant', status: 'streaming', content: '' }, true);

  window.onsiteChatView = { el, actionButton, markerText, messageElement, placeholder, sourcesElement };
})();
