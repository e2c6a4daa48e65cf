// Onsite UI behaviour. Loaded as an external script: the CSP forbids inline script.
document.documentElement.classList.add('js');

// Forms marked data-confirm ask before they submit (deleting a conversation).
document.addEventListener('submit', (event) => {
  const form = event.target;
  const question = form instanceof window.HTMLFormElement ? form.dataset.confirm : undefined;
  if (question && !window.confirm(question)) event.preventDefault();
});

// Finding the server's elements, for the page scripts (loaded after this
// one): each lookup names the element's kind and checks it, so a page out of
// step with its script fails at once with a clear message.
(() => {
  /**
   * The first element under `root` matching `selector`, or undefined when there is none of kind `type`.
   * @template {Element} T
   * @param {ParentNode} root
   * @param {string} selector
   * @param {new () => T} type
   * @returns {T | undefined}
   */
  function maybe(root, selector, type) {
    const node = root.querySelector(selector);
    return node instanceof type ? node : undefined;
  }

  /**
   * The first element under `root` matching `selector`, which the page always renders.
   * @template {Element} T
   * @param {ParentNode} root
   * @param {string} selector
   * @param {new () => T} type
   * @returns {T}
   */
  function one(root, selector, type) {
    const node = maybe(root, selector, type);
    if (!node) throw new Error(`the page has no ${type.name} matching ${selector}`);
    return node;
  }

  /**
   * Every element under `root` matching `selector` that is of kind `type`.
   * @template {Element} T
   * @param {ParentNode} root
   * @param {string} selector
   * @param {new () => T} type
   * @returns {T[]}
   */
  function all(root, selector, type) {
    /** @type {T[]} */
    const found = [];
    for (const node of root.querySelectorAll(selector)) if (node instanceof type) found.push(node);
    return found;
  }

  window.onsiteDom = { one, maybe, all };
})();
