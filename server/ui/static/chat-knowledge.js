// The chat page's knowledge picker: ticking a collection saves at once
// (PATCH the conversation's knowledge), so the next question searches it.
// Before the first message there is no conversation yet: chat.js sends the
// choice when it creates one (window.onsiteChatKnowledge.chosen).
(() => {
  const root = document.querySelector('[data-testid="chat"]');
  const picker = root?.querySelector('[data-testid="kb-picker"]');
  if (!picker) return;
  const api = window.onsiteChatApi;
  const form = picker.querySelector('[data-testid="kb-form"]');
  const status = picker.querySelector('[data-testid="kb-saved"]');
  const boxes = () => [...form.querySelectorAll('[data-testid="kb-choice"]')];
  const chosen = () => boxes().filter((b) => b.checked).map((b) => Number(b.value));

  /** Same words as the server's knowledgeSummary (chat-knowledge.tsx). */
  function summaryText(names) {
    if (names.length === 0) return 'none';
    return names.length <= 2 ? names.join(', ') : `${names.slice(0, 2).join(', ')} and ${names.length - 2} more`;
  }

  // Ticking a collection leaves whole-document mode: the summary says what is searched now.
  function showSummary() {
    const span = document.createElement('span');
    span.dataset.testid = 'kb-summary';
    span.textContent = summaryText(boxes().filter((b) => b.checked).map((b) => b.dataset.name));
    picker.querySelector('summary').replaceChildren('Searching documents: ', span);
    delete picker.dataset.documentId;
  }

  // Saves run one after another, so the last choice is the one kept.
  let saving = Promise.resolve();
  function save() {
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
        status.textContent = `Not saved: ${err.message}`;
      }
    });
  }

  form.addEventListener('change', save);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    save();
  });

  window.onsiteChatKnowledge = { chosen };
})();
