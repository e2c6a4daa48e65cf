// Runs inside a fetched page, in an isolated world, right after Mozilla's
// Readability has been defined there: it sees the page's DOM but none of the
// page's JavaScript globals. The sidecar calls it as
// `onsiteExtract(maxChars, maxLinks)` and gets back plain data.
// Plain JavaScript on purpose: it is shipped as-is inside the binary.
function onsiteExtract(maxChars, maxLinks) {
  const squeeze = (t) =>
    t
      .replace(/[ \t\u00a0]+/g, ' ')
      .replace(/ *\n[ \n]*/g, '\n')
      .replace(/\n{2,}/g, '\n\n')
      .trim();
  let article;
  try {
    article = new Readability(document.cloneNode(true), { charThreshold: 100 }).parse();
  } catch {
    article = null;
  }
  const main = squeeze((article && article.textContent) || '');
  const text = main.length > 0 ? main : squeeze((document.body && document.body.innerText) || '');
  const seen = new Set();
  const links = [];
  for (const a of Array.from(document.querySelectorAll('a[href]'))) {
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
