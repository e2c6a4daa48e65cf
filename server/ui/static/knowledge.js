// The knowledge base pages' behaviour: the search on /collections runs in
// place through POST /api/search; on /collections/:id each chosen file is
// uploaded with its own progress bar (XMLHttpRequest, for upload progress),
// then the documents' statuses are polled until ingestion is done. Uses
// chat-api.js (JSON calls with the CSRF token) and knowledge-view.js.
(() => {
  const api = window.onsiteChatApi;
  const view = window.onsiteKnowledgeView;
  const dom = window.onsiteDom;
  /**
   * The element with data-testid `id` under `root`, which the page always renders.
   * @template {Element} T
   * @param {ParentNode} root
   * @param {string} id
   * @param {new () => T} type
   */
  const find = (root, id, type) => dom.one(root, `[data-testid="${id}"]`, type);
  const sleep = (/** @type {number} */ ms) => new Promise((resolve) => window.setTimeout(resolve, ms));

  /** @param {HTMLElement} root */
  function searchPage(root) {
    const form = find(root, 'search-form', window.HTMLFormElement);
    const input = find(root, 'search-input', window.HTMLInputElement);
    const output = find(root, 'search-output', window.HTMLElement);
    const alertBox = find(root, 'search-alert', window.HTMLElement);
    const button = dom.one(form, 'button', window.HTMLButtonElement);
    const names = () => new Map(dom.all(document, '[data-testid="collection-row"]', window.HTMLElement).map((r) => [Number(r.dataset.id), r.dataset.name]));
    // Every failure is shown in the alert, so the listener need not wait for it.
    form.addEventListener('submit', (event) => void search(event));

    /** @param {SubmitEvent} event */
    async function search(event) {
      event.preventDefault();
      const query = input.value.trim();
      if (!query) return;
      button.disabled = true;
      alertBox.textContent = '';
      try {
        const out = /** @type {OnsiteSearch} */ (await api.json('POST', '/api/search', { query }));
        output.replaceChildren(view.searchResults(query, out, names()));
        window.history.replaceState(null, '', `/collections?q=${encodeURIComponent(query)}`);
      } catch (err) {
        alertBox.textContent = api.messageOf(err);
      } finally {
        button.disabled = false;
      }
    }
  }

  /** @param {HTMLElement} root */
  function collectionPage(root) {
    const id = root.dataset.id;
    const writable = root.dataset.writable === 'true';
    const body = find(root, 'documents', window.HTMLTableSectionElement);
    const empty = find(root, 'documents-empty', window.HTMLElement);
    const alertBox = find(root, 'collection-alert', window.HTMLElement);
    const busy = (/** @type {{ status?: string }} */ d) => d.status === 'queued' || d.status === 'processing';

    /**
     * Rows change only where a document did, so a button under the pointer stays put.
     * @param {OnsiteDocument[]} documents
     */
    function render(documents) {
      const old = new Map([...body.rows].map((r) => [r.dataset.id, r]));
      documents.forEach((d, i) => {
        const known = old.get(String(d.id));
        old.delete(String(d.id));
        const same =
          known &&
          known.dataset.updated === d.updatedAt &&
          known.dataset.status === d.status &&
          find(known, 'document-status', window.HTMLElement).textContent === view.progressText(d);
        const row = same ? known : view.documentRow(d, writable);
        if (known && !same) known.replaceWith(row);
        if (body.rows[i] !== row) body.insertBefore(row, body.rows[i] ?? null);
      });
      for (const row of old.values()) row.remove();
      empty.hidden = documents.length > 0;
    }

    // Polls about every second while a document is queued or processing; `again` covers an upload landing mid-poll.
    let polling = false;
    let again = false;
    async function poll() {
      again = true;
      if (polling) return;
      polling = true;
      try {
        while (again) {
          again = false;
          await sleep(1000);
          const collection = /** @type {{ documents: OnsiteDocument[] }} */ (await api.json('GET', `/api/collections/${id}`));
          render(collection.documents);
          if (collection.documents.some(busy)) again = true;
        }
      } catch (err) {
        alertBox.textContent = `Could not refresh the documents: ${api.messageOf(err)}. Reload the page to try again.`;
      } finally {
        polling = false;
      }
    }

    /**
     * Sends one file; settles once it is answered, whatever the answer (shown in its list item), and never rejects.
     * @param {File} file
     * @param {HTMLElement} item
     * @returns {Promise<void>}
     */
    function upload(file, item) {
      const bar = find(item, 'upload-progress', window.HTMLProgressElement);
      const text = find(item, 'upload-text', window.HTMLElement);
      const settle = (/** @type {string} */ state, /** @type {string} */ words) => {
        item.dataset.state = state;
        text.textContent = words;
      };
      return new Promise((resolve) => {
        const xhr = new window.XMLHttpRequest();
        xhr.open('POST', `/api/collections/${id}/documents`);
        xhr.setRequestHeader('x-csrf-token', view.csrfToken());
        xhr.setRequestHeader('accept', 'application/json');
        xhr.upload.onprogress = (event) => {
          if (!event.lengthComputable) return;
          const percent = Math.round((event.loaded / event.total) * 100);
          bar.value = percent;
          text.textContent = `uploading, ${percent}%`;
        };
        xhr.onload = () => {
          /** @type {{ documents?: OnsiteDocument[], error?: { message?: string } } | null} */
          let reply = null;
          try {
            reply = JSON.parse(xhr.responseText);
          } catch {
            // Not JSON (a proxy's error page): the status says enough.
          }
          if (xhr.status === 202 && reply) {
            bar.value = 100;
            settle('done', 'uploaded; reading it now');
            addRows(reply.documents ?? []);
            void poll();
          } else settle('failed', `failed: ${reply?.error?.message ?? `the server answered ${xhr.status}`}`);
          resolve();
        };
        xhr.onerror = () => {
          settle('failed', 'failed: could not reach the server');
          resolve();
        };
        const data = new window.FormData();
        data.append('file', file, file.name);
        xhr.send(data);
      });
    }

    /**
     * An upload's rows show at once; the next poll brings their progress.
     * @param {OnsiteDocument[]} documents
     */
    function addRows(documents) {
      for (const d of documents) if (!body.querySelector(`tr[data-id="${d.id}"]`)) body.append(view.documentRow(d, writable));
      empty.hidden = body.rows.length > 0;
    }

    const form = dom.maybe(document, '[data-testid="upload-form"]', window.HTMLFormElement);
    if (form) {
      const list = find(document, 'uploads', window.HTMLElement);
      const input = find(form, 'upload-input', window.HTMLInputElement);
      const button = find(form, 'upload-button', window.HTMLButtonElement);
      /** @param {SubmitEvent} event */
      const uploadAll = async (event) => {
        event.preventDefault();
        const files = [...(input.files ?? [])];
        if (files.length === 0) return;
        button.disabled = true;
        const uploads = files.map((file) => {
          const item = view.el('li', { 'data-testid': 'upload', 'data-name': file.name, 'data-state': 'waiting' });
          item.append(
            view.el('span', { class: 'name' }, `${file.name} (${view.formatBytes(file.size)})`),
            view.el('progress', { max: '100', value: '0', 'data-testid': 'upload-progress', 'aria-label': `Uploading ${file.name}` }),
            view.el('span', { class: 'muted small', 'data-testid': 'upload-text' }, 'waiting'),
          );
          list.append(item);
          return { file, item };
        });
        try {
          // One request per file: each gets its own progress and its own refusal (too large, duplicate).
          for (const { file, item } of uploads) await upload(file, item);
        } catch (err) {
          alertBox.textContent = `Could not upload: ${api.messageOf(err)}`;
        } finally {
          input.value = '';
          button.disabled = false;
        }
      };
      // Each file's outcome shows in its own line, anything else in the alert: nothing is left to wait for.
      form.addEventListener('submit', (event) => void uploadAll(event));
    }
    // The poll shows its own failure in the alert.
    if ([...body.rows].some((r) => busy(r.dataset))) void poll();
  }

  const search = dom.maybe(document, '[data-testid="search"]', window.HTMLElement);
  if (search) searchPage(search);
  const collection = dom.maybe(document, '[data-testid="collection"]', window.HTMLElement);
  if (collection) collectionPage(collection);
})();
