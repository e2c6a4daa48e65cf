/**
 * Text uploads: decoding (UTF-8, or UTF-16 with a byte-order mark) and
 * telling HTML, markdown and plain text apart.
 */

/** What a caller says about an upload; only a hint, the bytes decide. */
export interface FormatHint {
  filename?: string | undefined;
  declaredType?: string | undefined;
}

/** The three text formats. */
export type TextFormat = 'txt' | 'md' | 'html';

function decode(encoding: 'utf-8' | 'utf-16le' | 'utf-16be', bytes: Uint8Array): string | undefined {
  try {
    // fatal: invalid sequences refuse the file instead of becoming U+FFFD.
    return new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Decodes bytes as text: UTF-8 (with or without a BOM), or UTF-16 LE/BE
 * when a BOM says so. `undefined` when the bytes are not valid text in that
 * encoding or hold a NUL character, the mark of binary data.
 */
export function decodeText(bytes: Uint8Array): string | undefined {
  let text: string | undefined;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) text = decode('utf-8', bytes.subarray(3));
  else if (bytes[0] === 0xff && bytes[1] === 0xfe) text = decode('utf-16le', bytes.subarray(2));
  else if (bytes[0] === 0xfe && bytes[1] === 0xff) text = decode('utf-16be', bytes.subarray(2));
  else text = decode('utf-8', bytes);
  return text === undefined || text.includes('\0') ? undefined : text;
}

const MARKDOWN_EXT = /\.(?:md|markdown)$/i;
const HTML_EXT = /\.(?:html?|xhtml)$/i;
/**
 * Leading XML declaration, comments and doctype before a document's root
 * element. The comment body cannot contain `-->`, so there is one way to
 * split a run of comments and no exponential backtracking on many of them.
 */
export const PROLOGUE = String.raw`^\s*(?:<\?xml[^<>]*>\s*)?(?:<!--(?:[^-]|-(?!->))*-->\s*)*`;
const HTML_START = new RegExp(String.raw`${PROLOGUE}<(?:!doctype\s+html|html[\s>])`, 'i');
const DOCUMENT_TAG = /<(?:html|head|body)[\s>]/i;
const ANY_TAG = /<\/?[a-z][a-z0-9-]*(?:\s[^<>]*)?\/?>/i;

function mediaType(declared: string | undefined): string {
  return (declared ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The text with fenced code blocks and inline code spans blanked out. */
export function withoutCode(text: string): string {
  return text.replace(/^ {0,3}(```|~~~)[^\n]*\n[\s\S]*?(?:^ {0,3}\1[^\n]*$|(?![\s\S]))/gm, '').replace(/`[^`\n]*`/g, '');
}

/**
 * Tells which text format decoded content is. Content decides HTML
 * whatever the name: a doctype or `<html` at the start, or an html, head
 * or body tag anywhere outside markdown code. Otherwise a name or declared
 * type of HTML with any markup in the content is HTML too (a fragment
 * saved as .html); a markdown name or declared type is markdown; the rest
 * is plain text.
 */
export function classifyText(text: string, hint: FormatHint): TextFormat {
  if (HTML_START.test(text)) return 'html';
  const prose = withoutCode(text);
  if (DOCUMENT_TAG.test(prose)) return 'html';
  const type = mediaType(hint.declaredType);
  const name = hint.filename ?? '';
  if ((HTML_EXT.test(name) || type === 'text/html' || type === 'application/xhtml+xml') && ANY_TAG.test(prose)) return 'html';
  if (MARKDOWN_EXT.test(name) || type === 'text/markdown' || type === 'text/x-markdown') return 'md';
  return 'txt';
}

/** The first level-one ATX heading (`# Title`) outside code blocks, if any. */
export function markdownTitle(text: string): string | undefined {
  const match = /^ {0,3}# +(.*)$/m.exec(withoutCode(text));
  // The optional closing #s, trimmed in two linear steps: one regex for both backtracks on long runs of spaces.
  return (
    match?.[1]!
      .trimEnd()
      .replace(/(?:^|[ \t])#+$/, '')
      .trimEnd() || undefined
  );
}
