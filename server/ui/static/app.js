// Onsite UI behaviour. Loaded as an external script: the CSP forbids inline script.
document.documentElement.classList.add('js');

// Forms marked data-confirm ask before they submit (deleting a conversation).
document.addEventListener('submit', (event) => {
  const form = event.target;
  const question = form instanceof window.HTMLFormElement ? form.dataset.confirm : undefined;
  if (question && !window.confirm(question)) event.preventDefault();
});
