// The chat page's behaviour: send (Enter sends, Shift+Enter is a new line),
// the streamed answer token by token, Stop, Regenerate, Edit & resend and
// Copy. Uses chat-api.js (requests, SSE) and chat-view.js (elements).
(() => {
  const dom = window.onsiteDom;
  const root = dom.maybe(document, '[data-testid="chat"]', window.HTMLElement);
  if (!root) return;
  const api = window.onsiteChatApi;
  const view = window.onsiteChatView;
  /** The selector of the element with data-testid `id`. */
  const testId = (/** @type {string} */ id) => `[data-testid="${id}"]`;
  const list = dom.one(root, testId('messages'), window.HTMLElement);
  const form = dom.one(root, testId('composer'), window.HTMLFormElement);
  const input = dom.one(root, testId('composer-input'), window.HTMLTextAreaElement);
  const send = dom.one(root, testId('send'), window.HTMLButtonElement);
  const stop = dom.one(root, testId('stop'), window.HTMLButtonElement);
  const alertBox = dom.one(root, testId('chat-alert'), window.HTMLElement);
  const picker = dom.maybe(root, testId('model-picker'), window.HTMLSelectElement);
  const heading = dom.one(root, testId('conversation-title'), window.HTMLElement);
  const sidebar = dom.maybe(root, testId('conversation-list'), window.HTMLElement);
  const ready = form.dataset.ready === 'yes';
  let conversationId = root.dataset.conversationId || '';
  let busy = false;

  const showAlert = (/** @type {string} */ text) => void (alertBox.textContent = text);
  const clearAlert = () => void (alertBox.textContent = '');
  /**
   * The request body with the model picked, when one is.
   * @param {Record<string, unknown>} body
   */
  const withModel = (body) => (picker && picker.value ? { ...body, model: picker.value } : body);
  /**
   * Collections ticked before the first message (chat-knowledge.js) go with the new conversation.
   * @param {Record<string, unknown>} body
   */
  function withKnowledge(body) {
    const collectionIds = window.onsiteChatKnowledge?.chosen() ?? [];
    return collectionIds.length > 0 ? { ...body, knowledge: { collectionIds } } : body;
  }
  const bodyOf = (/** @type {HTMLElement} */ article) => dom.one(article, testId('message-body'), window.HTMLElement);
  const actionsOf = (/** @type {HTMLElement} */ article) => dom.one(article, '.msg-actions', window.HTMLElement);
  const articles = () => dom.all(list, ':scope > article.msg', window.HTMLElement);

  /** @param {boolean} on */
  function setBusy(on) {
    busy = on;
    send.disabled = on || !ready;
    stop.hidden = !on;
    stop.disabled = false;
    for (const b of dom.all(list, '[data-action="regenerate"], [data-action="edit"], [data-action="edit-save"]', window.HTMLButtonElement)) b.disabled = on;
  }

  // Only the last answer can be generated again.
  function refreshActions() {
    for (const b of list.querySelectorAll('[data-action="regenerate"]')) b.remove();
    const last = list.lastElementChild;
    if (last instanceof window.HTMLElement && last.dataset.role === 'assistant' && last.dataset.status !== 'streaming')
      dom.maybe(last, '.msg-actions', window.HTMLElement)?.append(view.actionButton('Regenerate', 'regenerate'));
  }

  /** @param {string} title */
  function setTitle(title) {
    heading.textContent = title;
    document.title = `${title} · Onsite`;
    const link = sidebar && dom.maybe(sidebar, `li[data-id="${conversationId}"] [data-testid="conversation-link"]`, window.HTMLElement);
    if (link) link.textContent = title;
  }

  // The open conversation goes to the top of the list: it is the newest now.
  function listFirst() {
    if (!sidebar) return;
    let item = dom.maybe(sidebar, `li[data-id="${conversationId}"]`, window.HTMLElement);
    if (!item) {
      item = view.el('li', { 'data-testid': 'conversation-item', 'data-id': conversationId });
      item.append(view.el('a', { href: `/chat/${conversationId}`, 'data-testid': 'conversation-link' }, heading.textContent ?? ''));
    }
    for (const li of sidebar.children) li.classList.remove('active');
    item.classList.add('active');
    sidebar.prepend(item);
  }

  /** @param {string} id */
  const getConversation = async (id) => /** @type {OnsiteConversation} */ (await api.json('GET', `/api/conversations/${id}`));

  // An arrow function, not a declaration: those are hoisted above the check that root exists.
  const ensureConversation = async () => {
    if (conversationId) return;
    const conv = /** @type {OnsiteConversation} */ (await api.json('POST', '/api/conversations', withKnowledge(withModel({}))));
    conversationId = conv.id;
    root.dataset.conversationId = conv.id;
    window.history.replaceState(null, '', `/chat/${conv.id}`);
    setTitle(conv.title);
  };

  // Shows what the server has: after an error nobody knows what was kept.
  async function reloadMessages() {
    if (!conversationId) return void list.replaceChildren();
    const conv = await getConversation(conversationId);
    list.replaceChildren(...(conv.messages ?? []).filter((m) => m.role !== 'system').map((m) => view.messageElement(m, false)));
    setTitle(conv.title);
  }

  /**
   * Runs one answer: the request, then `start` (onStart swaps the
   * placeholders for the real messages and returns the live answer),
   * tokens appended as text, and `done`/`error` replacing the live answer
   * with the server's rendering. JSON errors (503, 402 …) go to the alert.
   * Never rejects: every failure ends up in the alert.
   * @param {string} method
   * @param {string} path
   * @param {Record<string, unknown>} payload
   * @param {(data: OnsiteStart) => HTMLElement} onStart
   * @returns {Promise<boolean>} whether the request got through (an answer streamed, even if it then failed)
   */
  async function run(method, path, payload, onStart) {
    clearAlert();
    setBusy(true);
    /** @type {HTMLElement | undefined} */
    let answer;
    let ended = false;
    let ok = false;
    try {
      listFirst();
      const res = await api.call(method, path, payload);
      if (!res.ok || !api.isStream(res)) {
        showAlert(await api.errorText(res));
        await reloadMessages();
        return false;
      }
      await api.readEvents(res, (event, data) => {
        if (event === 'start') answer = onStart(data);
        // Pages the question linked were read before the first token: show them while the answer streams.
        else if (event === 'sources' && answer) answer.append(view.sourcesElement(data.sources ?? []));
        else if (event === 'token' && answer) bodyOf(answer).append(data.delta);
        else if (event === 'done' || event === 'error') {
          const final = event === 'done' ? data.message : data.partial;
          if (final) {
            ended = true;
            const done = view.messageElement(final, false);
            if (answer) answer.replaceWith(done);
            else list.append(done);
            answer = done;
          }
          if (event === 'error' && (!final || data.code !== 'stopped')) showAlert(data.message ?? 'The answer failed.');
        }
      });
      if (!ended) {
        showAlert('The connection to the server ended before the answer was complete.');
        await reloadMessages();
      }
      ok = true;
      if (heading.textContent === 'New conversation') setTitle((await getConversation(conversationId)).title);
      return true;
    } catch (err) {
      showAlert(`Could not reach the server: ${api.messageOf(err)}`);
      await reloadMessages().catch(() => undefined);
      return ok;
    } finally {
      setBusy(false);
      refreshActions();
    }
  }

  /** @param {SubmitEvent} event */
  async function submit(event) {
    event.preventDefault();
    const content = input.value;
    if (busy || !ready || !content.trim()) return;
    setBusy(true);
    try {
      await ensureConversation();
    } catch (err) {
      setBusy(false);
      return showAlert(api.messageOf(err));
    }
    input.value = '';
    const pendingUser = view.messageElement({ role: 'user', content, status: 'complete' }, false);
    const pending = view.placeholder();
    list.append(pendingUser, pending);
    pending.scrollIntoView({ block: 'nearest' });
    const ok = await run('POST', `/api/conversations/${conversationId}/messages`, withModel({ content }), (data) => {
      if (data.userMessage) pendingUser.replaceWith(view.messageElement(data.userMessage, false));
      const live = view.messageElement(data.assistant, true);
      pending.replaceWith(live);
      return live;
    });
    // A question the server did not keep goes back into the box.
    const kept = articles().some((a) => a.dataset.role === 'user' && bodyOf(a).textContent === content);
    if (!ok && !kept && !input.value) input.value = content;
  }
  // submit and run show every failure in the alert: nothing is left to wait for.
  form.addEventListener('submit', (event) => void submit(event));

  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  // A failed stop shows in the alert: nothing is left to wait for.
  stop.addEventListener('click', () => void stopAnswer());
  async function stopAnswer() {
    stop.disabled = true;
    try {
      await api.json('POST', `/api/conversations/${conversationId}/stop`, {});
    } catch (err) {
      showAlert(api.messageOf(err));
      stop.disabled = false;
    }
  }

  /**
   * Drops the messages after `article` (regenerate and edit rewrite the tail).
   * @param {HTMLElement} article
   */
  function dropAfter(article) {
    while (article.nextElementSibling) article.nextElementSibling.remove();
  }

  function regenerate() {
    const lastUser = articles()
      .filter((a) => a.dataset.role === 'user')
      .pop();
    if (!lastUser) return;
    dropAfter(lastUser);
    const pending = view.placeholder();
    list.append(pending);
    return run('POST', `/api/conversations/${conversationId}/regenerate`, withModel({}), (data) => {
      const live = view.messageElement(data.assistant, true);
      pending.replaceWith(live);
      return live;
    });
  }

  /** @param {HTMLElement} article */
  function startEdit(article) {
    if (busy || article.querySelector('.msg-edit')) return;
    const body = bodyOf(article);
    const box = view.el('div', { class: 'msg-edit' });
    const area = view.el('textarea', { rows: '3', 'data-testid': 'edit-input', 'aria-label': 'Edited message' });
    area.value = body.textContent ?? '';
    const row = view.el('div', { class: 'row' });
    row.append(view.actionButton('Save & resend', 'edit-save', 'primary'), view.actionButton('Cancel', 'edit-cancel', 'secondary'));
    box.append(area, row);
    body.hidden = true;
    actionsOf(article).hidden = true;
    body.after(box);
    area.focus();
  }

  /** @param {HTMLElement} article */
  function endEdit(article) {
    article.querySelector('.msg-edit')?.remove();
    bodyOf(article).hidden = false;
    actionsOf(article).hidden = false;
  }

  /** @param {HTMLElement} article */
  function saveEdit(article) {
    const content = dom.one(article, testId('edit-input'), window.HTMLTextAreaElement).value;
    if (busy || !content.trim()) return;
    endEdit(article);
    bodyOf(article).textContent = content;
    dropAfter(article);
    const pending = view.placeholder();
    list.append(pending);
    return run('PATCH', `/api/conversations/${conversationId}/messages/${article.dataset.id}`, withModel({ content }), (data) => {
      if (data.userMessage) bodyOf(article).textContent = data.userMessage.content ?? '';
      const live = view.messageElement(data.assistant, true);
      pending.replaceWith(live);
      return live;
    });
  }

  /**
   * Shows `text` on the button for two seconds.
   * @param {HTMLElement} button
   * @param {string} text
   */
  function flash(button, text) {
    const before = button.textContent;
    button.textContent = text;
    window.setTimeout(() => void (button.textContent = before), 2000);
  }

  /**
   * The clipboard API needs a secure context (https or localhost); elsewhere the text is selected for Ctrl+C.
   * @param {HTMLElement} article
   * @param {HTMLElement} button
   */
  async function copy(article, button) {
    const body = bodyOf(article);
    try {
      await navigator.clipboard.writeText(body.innerText);
      flash(button, 'Copied');
    } catch {
      const range = document.createRange();
      range.selectNodeContents(body);
      const selection = window.getSelection();
      selection?.removeAllRanges();
      selection?.addRange(range);
      flash(button, 'Selected: press Ctrl+C');
    }
  }

  // copy, regenerate (run) and saveEdit (run) never reject: their failures show on the button or in the alert.
  list.addEventListener('click', (event) => {
    const button = event.target instanceof window.Element ? event.target.closest('button[data-action]') : null;
    const article = button?.closest('article.msg');
    if (!(button instanceof window.HTMLButtonElement) || !(article instanceof window.HTMLElement) || button.disabled) return;
    const action = button.dataset.action;
    if (action === 'copy') void copy(article, button);
    else if (action === 'regenerate' && !busy) void regenerate();
    else if (action === 'edit') startEdit(article);
    else if (action === 'edit-save') void saveEdit(article);
    else if (action === 'edit-cancel') endEdit(article);
  });

  send.disabled = !ready;
  input.disabled = !ready;
  if (ready) input.focus();
})();
