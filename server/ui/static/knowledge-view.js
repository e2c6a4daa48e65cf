// Builds the knowledge base's elements in the page exactly as the server
// renders them (server/knowledge/collections-parts.page.tsx), for documents and
// search results that arrive while the page is open. Text always goes in
// through textContent.
(() => {
  const csrfToken = () => document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';

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
   * A byte count for people: 512 B, 12.3 KB, 4.0 MB.
   * @param {number} n
   */
  function formatBytes(n) {
    if (n < 1024) return `${n} B`;
    if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
    return `${(n / 1024 / 1024).toFixed(1)} MB`;
  }

  /** @type {Record<string, string | undefined>} */
  const STAGES = { extract: 'reading the text', chunk: 'splitting into chunks', embed: 'embedding' };

  /**
   * Where a document's ingestion stands, in words.
   * @param {OnsiteDocument} d
   */
  function progressText(d) {
    if (d.status === 'failed') return 'failed';
    if (d.status === 'queued') return d.attempts > 0 ? `queued, try ${d.attempts + 1}` : 'queued';
    if (d.chunks > 0) return `${d.status}: embedded ${d.embeddedChunks} of ${d.chunks} chunks`;
    return d.status === 'processing' ? `processing: ${STAGES[d.stage] ?? d.stage}` : d.status;
  }

  /**
   * A one-button form posting to `action` with the CSRF token (the server's PostButton).
   * @param {string} action
   * @param {string} label
   * @param {string} kind the button's class
   * @param {string} [confirm] the question asked before it posts (app.js)
   */
  function postButton(action, label, kind, confirm) {
    const form = el('form', { method: 'post', action, class: 'inline' });
    if (confirm) form.dataset.confirm = confirm;
    form.append(el('input', { type: 'hidden', name: '_csrf', value: csrfToken() }), el('button', { type: 'submit', class: kind }, label));
    return form;
  }

  /**
   * One row of the documents table, from a document as the API shows it.
   * @param {OnsiteDocument} d
   * @param {boolean} writable whether the user may retry and delete it
   */
  function documentRow(d, writable) {
    const row = el('tr', { 'data-testid': 'document-row', 'data-id': String(d.id), 'data-status': d.status, 'data-updated': d.updatedAt });
    const title = el('td');
    title.append(d.status === 'ready' ? el('a', { href: `/documents/${d.id}`, 'data-testid': 'document-link' }, d.title) : el('span', {}, d.title));
    const status = el('td');
    status.append(el('span', { class: `status ${d.status}`, 'data-testid': 'document-status' }, progressText(d)));
    if ((d.status === 'queued' || d.status === 'processing') && d.chunks > 0) {
      status.append(el('progress', { max: String(d.chunks), value: String(d.embeddedChunks), 'aria-label': `Embedding ${d.title}` }));
    }
    if (d.status === 'failed' && d.error) status.append(el('p', { class: 'bad small', 'data-testid': 'document-error' }, d.error));
    const actions = el('td', { class: 'row' });
    if (d.status === 'ready') actions.append(postButton(`/documents/${d.id}/summarise`, 'Summarise', 'secondary'));
    if (writable && d.status === 'failed') actions.append(postButton(`/documents/${d.id}/retry`, 'Retry', 'secondary'));
    if (writable) actions.append(postButton(`/documents/${d.id}/delete`, 'Delete', 'danger', `Delete “${d.title}” and its chunks?`));
    row.append(title, el('td', {}, d.format ?? '—'), el('td', {}, formatBytes(d.sizeBytes)), status, actions);
    return row;
  }

  /**
   * A result's passage on one line, shortened for the list.
   * @param {string} text
   */
  function snippet(text) {
    const line = text.replace(/\s+/g, ' ').trim();
    return line.length > 280 ? `${line.slice(0, 280).trimEnd()}…` : line;
  }

  /**
   * Search results as the server renders them; `names` maps collection ids to names.
   * @param {string} query
   * @param {OnsiteSearch} out
   * @param {Map<number, string | undefined>} names
   */
  function searchResults(query, out, names) {
    const box = el('div', { 'data-testid': 'search-results' });
    const n = out.results.length;
    box.append(
      el(
        'p',
        { class: 'muted small', 'data-testid': 'search-mode' },
        `${n} result${n === 1 ? '' : 's'} for “${query}” (${out.mode} search)${out.notice ? `. ${out.notice}` : ''}`,
      ),
    );
    const list = el('ol', { class: 'hits' });
    for (const h of out.results) {
      const item = el('li', { 'data-testid': 'search-hit' });
      const where = names.get(h.collectionId);
      item.append(
        el('a', { href: `/documents/${h.documentId}#chunk-${h.chunk}`, 'data-testid': 'hit-link' }, h.title),
        el('span', { class: 'muted small' }, ` part ${h.chunk + 1}${where ? ` in ${where}` : ''}`),
        el('p', { class: 'snippet' }, snippet(h.text)),
      );
      list.append(item);
    }
    box.append(list);
    return box;
  }

  window.onsiteKnowledgeView = { el, formatBytes, progressText, documentRow, searchResults, csrfToken };
})();
