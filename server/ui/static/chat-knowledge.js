// The chat page's knowledge picker: ticking a collection saves at once
// (PATCH the conversation's knowledge), so the next question searches it.
// Before the first message there is no conversation yet: chat.js sends the
// choice when it creates one (window.onsiteChatKnowledge.chosen).
(() => {
  const dom = window.onsiteDom;
  const root = dom.maybe(document, '[data-testid="chat"]', window.HTMLElement);
  const picker = root && dom.maybe(root, '[data-testid="kb-picker"]', window.HTMLDetailsElement);
  if (!root || !picker) return;
  const api = window.onsiteChatApi;
  const form = dom.one(picker, '[data-testid="kb-form"]', window.HTMLFormElement);
  const status = dom.one(picker, '[data-testid="kb-saved"]', window.HTMLElement);
  const summary = dom.one(picker, 'summary', window.HTMLElement);
  const boxes = () => dom.all(form, '[data-testid="kb-choice"]', window.HTMLInputElement);
  const chosen = () =>
    boxes()
      .filter((b) => b.checked)
      .map((b) => Number(b.value));

  /**
   * Same words as the server's knowledgeSummary (chat-knowledge.tsx).
   * @param {Array<string | undefined>} names
   */
  function summaryText(names) {
    if (names.length === 0) return 'none';
    return names.length <= 2 ? names.join(', ') : `${names.slice(0, 2).join(', ')} and ${names.length - 2} more`;
  }

  // Ticking a collection leaves whole-document mode: the summary says what is searched now.
  // (Arrow functions, not declarations: those are hoisted above the check that root and picker exist.)
  const showSummary = () => {
    const span = document.createElement('span');
    span.dataset.testid = 'kb-summary';
    span.textContent = summaryText(
      boxes()
        .filter((b) => b.checked)
        .map((b) => b.dataset.name),
    );
    summary.replaceChildren('Searching documents: ', span);
    delete picker.dataset.documentId;
  };

  // Saves run one after another, so the last choice is the one kept.
  let saving = Promise.resolve();
  const save = () => {
    showSummary();
    const id = root.dataset.conversationId;
    if (!id) {
      status.textContent = 'Used from your first question on.';
      return;
    }
    status.textContent = 'Saving…';
    saving = saving.then(async () => {
      try {
        await api.json('PATCH', `/api/conversations/${id}`, { knowledge: { collectionIds: chosen() } });
        status.textContent = 'Saved.';
      } catch (err) {
        status.textContent = `Not saved: ${api.messageOf(err)}`;
      }
    });
  };

  form.addEventListener('change', save);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    save();
  });

  window.onsiteChatKnowledge = { chosen };
})();
