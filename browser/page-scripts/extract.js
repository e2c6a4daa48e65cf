// Runs inside a fetched page, in an isolated world, right after Mozilla's
// Readability has been defined there: it sees the page's DOM but none of the
// page's JavaScript globals. The sidecar calls it as
// `onsiteExtract(maxChars, maxLinks)` and gets back plain data.
// Plain JavaScript on purpose: it is shipped as-is inside the binary
// (type-checked from its JSDoc by tsconfig.browser.json).

/**
 * The page's readable text, title and first links, cut to the limits given.
 * @param {number} maxChars
 * @param {number} maxLinks
 * @returns {{ title: string, text: string, textTruncated: boolean, links: Array<{ url: string, text: string }> }}
 */
function onsiteExtract(maxChars, maxLinks) {
  const squeeze = (/** @type {string} */ t) =>
    t
      .replace(/[ \t\u00a0]+/g, ' ')
      .replace(/ *\n[ \n]*/g, '\n')
      .replace(/\n{2,}/g, '\n\n')
      .trim();
  let article;
  try {
    // A clone, because Readability rearranges the document it reads.
    article = new Readability(/** @type {Document} */ (document.cloneNode(true)), { charThreshold: 100 }).parse();
  } catch {
    article = null;
  }
  const main = squeeze((article && article.textContent) || '');
  const text = main.length > 0 ? main : squeeze((document.body && document.body.innerText) || '');
  const seen = new Set();
  const links = [];
  for (const a of Array.from(document.querySelectorAll('a[href]'))) {
    // An SVG <a> has no string href: it was never taken, and is skipped here.
    if (!(a instanceof HTMLAnchorElement)) continue;
    const href = a.href;
    if (!/^https?:/i.test(href) || seen.has(href)) continue;
    seen.add(href);
    links.push({ url: href, text: squeeze(a.innerText || a.textContent || '').slice(0, 200) });
    if (links.length >= maxLinks) break;
  }
  return {
    title: squeeze(document.title || (article && article.title) || ''),
    text: text.slice(0, maxChars),
    textTruncated: text.length > maxChars,
    links,
  };
}
