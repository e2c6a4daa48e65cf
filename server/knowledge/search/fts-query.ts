// Words that carry no topic; leaving them out keeps an OR query from
// matching every chunk and keeps BM25's ranking on the words that matter.
const STOP = new Set(
  'a an and are as at be by can could did do does for from had has have how i if in is it its me my of on or our should so than that the their them then there these they this to was we were what when where which who why will with would you your about into also any just more most some such only other out up'.split(
    ' ',
  ),
);
const TERM = /[\p{L}\p{N}]+(?:[-_./:][\p{L}\p{N}]+)*/gu;
const PART = /[\p{L}\p{N}]+/gu;
const MAX_TERMS = 32;

/**
 * Turns free text into an FTS5 query that cannot be a syntax error: each
 * word quoted, joined with OR (BM25 then rewards chunks with more and rarer
 * of them). Compound identifiers ("KB-4471", "v2.3.1", "E_4012") become a
 * phrase of their parts, which is how unicode61 indexed them, so an exact
 * identifier matches as one unit. Returns '' when nothing searchable is left.
 */
export function ftsQuery(text: string): string {
  const terms: string[] = [];
  const seen = new Set<string>();
  for (const m of text.normalize('NFKC').matchAll(TERM)) {
    const parts = [...m[0].toLowerCase().matchAll(PART)].map((p) => p[0]);
    if (parts.length === 1 && STOP.has(parts[0]!)) continue;
    const term = `"${parts.join(' ')}"`;
    if (seen.has(term)) continue;
    seen.add(term);
    terms.push(term);
    if (terms.length === MAX_TERMS) break;
  }
  return terms.join(' OR ');
}
