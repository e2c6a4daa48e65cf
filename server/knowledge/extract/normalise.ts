/**
 * One text shape for every format, so the chunker and search see the same
 * line endings and paragraph breaks whatever the source was.
 */

// C0 and C1 controls except \t and \n (line breaks are turned into \n first);
// they are noise from PDFs and legacy editors and break JSON and terminals.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;

/**
 * Normalises extracted text: NFC; \r\n, lone \r, form feeds and Unicode
 * line/paragraph separators become \n; control characters other than \n
 * and \t and stray byte-order marks are removed; whitespace-only lines
 * become empty; runs of more than one blank line become exactly one
 * (paragraphs stay separated by a blank line); the result is trimmed.
 */
export function normaliseText(text: string): string {
  return text
    .normalize('NFC')
    .replace(/\r\n?|[\f\v\u2028\u2029]/g, '\n')
    .replace(CONTROL, '')
    .replace(/\uFEFF/g, '')
    .replace(/^[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Tells whether text holds anything worth indexing: at least one letter or digit. */
export function hasText(text: string): boolean {
  return /[\p{L}\p{N}]/u.test(text);
}

/** Collapses a title to one line and trims it; `undefined` when nothing is left. */
export function cleanTitle(title: string | undefined, maxLength = 300): string | undefined {
  const t = title === undefined ? '' : normaliseText(title).replace(/\s+/g, ' ').trim();
  if (!hasText(t)) return undefined;
  return t.length > maxLength ? `${t.slice(0, maxLength - 1).trimEnd()}…` : t;
}
