/**
 * Token-count estimates for budgeting chunks without a tokenizer.
 *
 * The heuristic scores "pieces" of text and sums them:
 * - whitespace is free (BPE and WordPiece both fold it into neighbours);
 * - every punctuation or symbol code point is one token (WordPiece splits
 *   each one off; code is full of them), two outside the BMP (emoji);
 * - every character of a script written without spaces (Han, kana, Hangul,
 *   Thai, Lao, Khmer, Myanmar) is one token;
 * - a run of letters and digits is split like an identifier (camelCase,
 *   letter/digit edges) and each part costs: ASCII letters 1 up to 6
 *   characters, chars/4 up to 16, chars/3 beyond; digits chars/2; other
 *   letters (accented, Cyrillic, Arabic…) chars/2.
 *
 * It deliberately over-counts ordinary English by roughly 10–25 % so that a
 * chunk budgeted at N never overflows an embedding model with an N-token
 * context (mxbai-embed-large has 512); long identifiers, hashes, numbers
 * and non-Latin text are where naive words-based estimates under-count,
 * hence the per-character fallbacks there. Every non-whitespace code point
 * costs at least 1/6 token, which bounds how much text a budget can hold.
 *
 * The sum is additive across any cut that does not fall inside a run of
 * letters and digits: estimateTokens(a + b) === estimateTokens(a) +
 * estimateTokens(b) whenever the cut is at whitespace or punctuation.
 */

const PER_CHAR = '\\p{sc=Han}\\p{sc=Hiragana}\\p{sc=Katakana}\\p{sc=Hangul}\\p{sc=Thai}\\p{sc=Lao}\\p{sc=Khmer}\\p{sc=Myanmar}';
const PIECE = new RegExp(`(\\s+)|([${PER_CHAR}])|((?:(?![${PER_CHAR}])[\\p{L}\\p{M}\\p{N}])+)|([\\s\\S])`, 'gu');
const SUBWORD = /[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+|[^A-Za-z0-9]+/g;

/** One scored piece of text; `space` pieces cost nothing and are safe cut points. */
export interface TokenPiece {
  start: number;
  end: number;
  tokens: number;
  space: boolean;
}

/** Estimates how many tokens an embedding or chat model will see in `text`. */
export function estimateTokens(text: string): number {
  let total = 0;
  for (const piece of tokenPieces(text)) total += piece.tokens;
  return total;
}

/**
 * Splits `text.slice(start, end)` into scored pieces (offsets into `text`),
 * so callers can find cut points and keep running totals without rescanning.
 */
export function tokenPieces(text: string, start = 0, end = text.length): TokenPiece[] {
  const slice = start === 0 && end === text.length ? text : text.slice(start, end);
  const pieces: TokenPiece[] = [];
  for (const m of slice.matchAll(PIECE)) {
    const s = start + m.index;
    const e = s + m[0].length;
    if (m[1] !== undefined) pieces.push({ start: s, end: e, tokens: 0, space: true });
    else if (m[3] !== undefined) pieces.push({ start: s, end: e, tokens: wordRunTokens(m[3]), space: false });
    else pieces.push({ start: s, end: e, tokens: m[0].length > 1 ? 2 : 1, space: false });
  }
  return pieces;
}

function wordRunTokens(run: string): number {
  let total = 0;
  for (const [part] of run.matchAll(SUBWORD)) {
    const c = part.charCodeAt(0);
    if (c >= 0x30 && c <= 0x39) total += Math.ceil(part.length / 2);
    else if (c < 0x80) total += asciiWordTokens(part.length);
    else total += Math.ceil(codePoints(part) / 2);
  }
  return total;
}

// Dictionary words rarely pass 16 letters; longer single-case runs are
// usually random (base64, concatenated identifiers) and tokenise densely.
function asciiWordTokens(length: number): number {
  if (length <= 6) return 1;
  return length <= 16 ? Math.ceil(length / 4) : Math.ceil(length / 3);
}

function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) n++;
  }
  return n;
}
