// The knowledge base pages' behaviour: the search on /collections runs in
// place through POST /api/search; on /collections/:id each chosen file is
// uploaded with its own progress bar (XMLHttpRequest, for upload progress),
// then the documents' statuses are polled until ingestion is done. Uses
// chat-api.js (JSON calls with the CSRF token) and knowledge-view.js.
(() => {
  const api = window.onsiteChatApi;
  const view = window.onsiteKnowledgeView;
  const find = (root, id) => root.querySelector(`[data-testid="${id}"]`);
  const sleep = (ms) => new Promise((resolve) => window.setTimeout(resolve, ms));

  function searchPage(root) {
    const form = find(root, 'search-form');
    const input = find(root, 'search-input');
    const output = find(root, 'search-output');
    const alertBox = find(root, 'search-alert');
    const names = () => new Map([...document.querySelectorAll('[data-testid="collection-row"]')].map((r) => [Number(r.dataset.id), r.dataset.name]));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const query = input.value.trim();
      if (!query) return;
      const button = form.querySelector('button');
      button.disabled = true;
      alertBox.textContent = '';
      try {
        const out = await api.json('POST', '/api/search', { query });
        output.replaceChildren(view.searchResults(query, out, names()));
        window.history.replaceState(null, '', `/collections?q=${encodeURIComponent(query)}`);
      } catch (err) {
        alertBox.textContent = err.message;
      } finally {
        button.disabled = false;
      }
    });
  }

  function collectionPage(root) {
    const id = root.dataset.id;
    const writable = root.dataset.writable === 'true';
    const body = find(root, 'documents');
    const empty = find(root, 'documents-empty');
    const alertBox = find(root, 'collection-alert');
    const busy = (d) => d.status === 'queued' || d.status === 'processing';

    // Rows change only where a document did, so a button under the pointer stays put.
    function render(documents) {
      const old = new Map([...body.rows].map((r) => [r.dataset.id, r]));
      documents.forEach((d, i) => {
        let row = old.get(String(d.id));
        old.delete(String(d.id));
        const same = row && row.dataset.updated === d.updatedAt && row.dataset.status === d.status && find(row, 'document-status').textContent === view.progressText(d);
        if (!same) {
          const fresh = view.documentRow(d, writable);
          if (row) row.replaceWith(fresh);
          row = fresh;
        }
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
          const collection = await api.json('GET', `/api/collections/${id}`);
          render(collection.documents);
          if (collection.documents.some(busy)) again = true;
        }
      } catch (err) {
        alertBox.textContent = `Could not refresh the documents: ${err.message}. Reload the page to try again.`;
      } finally {
        polling = false;
      }
    }

    function upload(file, item) {
      const bar = find(item, 'upload-progress');
      const text = find(item, 'upload-text');
      const settle = (state, words) => {
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

    // An upload's rows show at once; the next poll brings their progress.
    function addRows(documents) {
      for (const d of documents) if (!body.querySelector(`tr[data-id="${d.id}"]`)) body.append(view.documentRow(d, writable));
      empty.hidden = body.rows.length > 0;
    }

    const form = find(document, 'upload-form');
    if (form) {
      const list = find(document, 'uploads');
      const input = find(form, 'upload-input');
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        const files = [...input.files];
        if (files.length === 0) return;
        const button = find(form, 'upload-button');
        button.disabled = true;
        const items = files.map((file) => {
          const item = view.el('li', { 'data-testid': 'upload', 'data-name': file.name, 'data-state': 'waiting' });
          item.append(view.el('span', { class: 'name' }, `${file.name} (${view.formatBytes(file.size)})`), view.el('progress', { max: '100', value: '0', 'data-testid': 'upload-progress', 'aria-label': `Uploading ${file.name}` }), view.el('span', { class: 'muted small', 'data-testid': 'upload-text' }, 'waiting'));
          list.append(item);
          return item;
        });
        // One request per file: each gets its own progress and its own refusal (too large, duplicate).
        for (let i = 0; i < files.length; i++) await upload(files[i], items[i]);
        input.value = '';
        button.disabled = false;
      });
    }
    if ([...body.rows].some((r) => busy(r.dataset))) void poll();
  }

  const search = document.querySelector('[data-testid="search"]');
  if (search) searchPage(search);
  const collection = document.querySelector('[data-testid="collection"]');
  if (collection) collectionPage(collection);
})();
