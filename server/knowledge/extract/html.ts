/**
 * Uploaded HTML to plain text with html-to-text: headings and paragraphs
 * become paragraphs separated by blank lines, so the chunker can split on
 * them; scripts, styles and navigation are dropped.
 */
import { compile, type HtmlToTextOptions } from 'html-to-text';
import { AppError } from '../../kernel/errors.ts';
import { htmlDepth } from './html-depth.ts';

/** Deepest nesting read; real pages stay under 100 (see html-depth.ts for why there is a limit). */
export const MAX_HTML_DEPTH = 256;

const SKIP = ['head', 'title', 'script', 'style', 'noscript', 'template', 'nav', 'svg', 'canvas', 'iframe', 'object', 'embed', 'img', 'button', 'select'];

const BLOCK = { leadingLineBreaks: 2, trailingLineBreaks: 2 };

const OPTIONS: HtmlToTextOptions = {
  // Lines stay whole: the chunker wraps nothing, and hard wraps would split sentences.
  wordwrap: false,
  limits: {
    // The default silently truncates past 16 Mi characters; the upload limit bounds size instead.
    maxInputLength: Number.MAX_SAFE_INTEGER,
    // html-to-text walks the tree recursively; the depth check below refuses deeper input anyway.
    maxDepth: MAX_HTML_DEPTH + 8,
    ellipsis: '',
  },
  selectors: [
    ...SKIP.map((selector) => ({ selector, format: 'skip' })),
    ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({ selector, format: 'heading', options: { ...BLOCK, uppercase: false } })),
    ...['p', 'div', 'section', 'article', 'main', 'header', 'footer', 'aside', 'blockquote', 'figure', 'figcaption', 'dl', 'dt', 'dd'].map((selector) => ({
      selector,
      format: selector === 'p' ? 'paragraph' : 'block',
      options: BLOCK,
    })),
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'ul', options: { itemPrefix: ' * ', ...BLOCK } },
    { selector: 'table', format: 'dataTable', options: { ...BLOCK, uppercaseHeaderCells: false, maxColumnWidth: 80 } },
  ],
};

let convert: ((html: string) => string) | undefined;
let convertInline: ((html: string) => string) | undefined;

/**
 * The text of an HTML document, blocks separated by blank lines. Throws
 * `extract_failed` for markup nested deeper than {@link MAX_HTML_DEPTH}.
 */
export function htmlToText(html: string): string {
  if (htmlDepth(html, MAX_HTML_DEPTH) > MAX_HTML_DEPTH) {
    throw new AppError('extract_failed', `the HTML is nested more than ${MAX_HTML_DEPTH} elements deep`, { format: 'html', reason: 'too_deep' });
  }
  convert ??= compile(OPTIONS);
  return convert(html);
}

function inlineText(html: string): string {
  // The same engine decodes entities and drops nested tags in titles.
  convertInline ??= compile({ wordwrap: false, selectors: [{ selector: '*', format: 'inline' }] });
  return convertInline(html).replace(/\s+/g, ' ').trim();
}

/** The inner HTML of the first `<tag>…</tag>`, found in one linear pass. */
function firstElement(html: string, tag: string): string | undefined {
  // [^<>] in the attributes: each candidate scans at most to the next angle bracket, never quadratically.
  const open = new RegExp(`<${tag}(?:\\s[^<>]*)?>`, 'i').exec(html);
  if (!open) return undefined;
  const start = open.index + open[0].length;
  const close = new RegExp(`</${tag}\\s*>`, 'ig');
  close.lastIndex = start;
  const end = close.exec(html);
  return end ? html.slice(start, end.index) : undefined;
}

/** The document's title: its `<title>`, else its first `<h1>`; `undefined` when neither has text. */
export function htmlTitle(html: string): string | undefined {
  for (const tag of ['title', 'h1']) {
    const inner = firstElement(html, tag);
    const text = inner ? inlineText(inner) : '';
    if (text) return text;
  }
  return undefined;
}
