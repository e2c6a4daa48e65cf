/**
 * Cutting ranges that are too large for a budget: at whitespace where
 * possible, then between tokens, then inside a word as a last resort.
 */
import { estimateTokens, tokenPieces } from './tokens.ts';

/** A range of the source text with its estimated token count. */
export interface Span {
  start: number;
  end: number;
  tokens: number;
}

/**
 * Splits [start, end) of `text` into consecutive trimmed spans of at most
 * `budget` tokens each (`budget` ≥ 2, the cost of one code point). Cuts fall
 * at the last whitespace that fits; a whitespace-free run (a URL, minified
 * code) is cut between tokens; a single over-long word (base64, a hash) is
 * cut between code points.
 */
export function splitToBudget(text: string, start: number, end: number, budget: number): Span[] {
  const pieces = tokenPieces(text, start, end);
  const out: Span[] = [];
  let from = -1;
  let to = -1;
  let sum = 0;
  let cut: { end: number; next: number; sum: number } | undefined;
  for (let i = 0; i < pieces.length;) {
    const p = pieces[i]!;
    if (p.space) {
      if (from >= 0) cut = { end: to, next: i + 1, sum };
      i++;
    } else if (from < 0) {
      [from, to, sum, cut] = [p.start, p.start, 0, undefined];
    } else if (sum + p.tokens <= budget) {
      [to, sum] = [p.end, sum + p.tokens];
      i++;
    } else if (sum > 0) {
      // Close the span and rescan from the cut; pieces after it are revisited once.
      if (cut) out.push({ start: from, end: cut.end, tokens: cut.sum });
      else out.push({ start: from, end: to, tokens: sum });
      if (cut) i = cut.next;
      from = -1;
    } else {
      const parts = splitWord(text, p.start, p.end, budget);
      const last = parts.pop()!;
      out.push(...parts);
      [from, to, sum, cut] = [last.start, last.end, last.tokens, undefined];
      i++;
    }
  }
  if (from >= 0 && to > from) out.push({ start: from, end: to, tokens: sum });
  return out;
}

/**
 * Returns the longest whitespace-bounded suffix of [start, end) costing at
 * most `budget` tokens, or undefined when even the last word is too big.
 */
export function fittingSuffix(text: string, start: number, end: number, budget: number): Span | undefined {
  const pieces = tokenPieces(text, start, end);
  let remaining = pieces.reduce((n, p) => n + p.tokens, 0);
  for (const p of pieces) {
    if (p.space && remaining <= budget && p.end < end) return { start: p.end, end, tokens: remaining };
    remaining -= p.tokens;
  }
  return undefined;
}

// Each non-whitespace code point costs at least 1/6 token (see tokens.ts),
// so no fitting prefix is longer than this many UTF-16 units per token.
const MAX_UNITS_PER_TOKEN = 12;

function splitWord(text: string, start: number, end: number, budget: number): Span[] {
  const out: Span[] = [];
  for (let from = start; from < end;) {
    let lo = nextCodePoint(text, from);
    let hi = Math.min(end, from + budget * MAX_UNITS_PER_TOKEN);
    // Binary search for the longest prefix that fits; the estimate grows with length.
    while (lo < hi) {
      const mid = snap(text, Math.ceil((lo + hi + 1) / 2), from);
      if (mid > lo && estimateTokens(text.slice(from, mid)) <= budget) lo = mid;
      else hi = mid > lo ? mid - 1 : lo;
    }
    // Keep a combining mark with its base character when we can.
    while (lo < end && lo > nextCodePoint(text, from) && /\p{M}/u.test(text[lo]!)) lo--;
    lo = snap(text, lo, from);
    out.push({ start: from, end: lo, tokens: estimateTokens(text.slice(from, lo)) });
    from = lo;
  }
  return out;
}

function nextCodePoint(text: string, at: number): number {
  const c = text.charCodeAt(at);
  return c >= 0xd800 && c <= 0xdbff ? at + 2 : at + 1;
}

// Moves a cut off the middle of a surrogate pair.
function snap(text: string, at: number, from: number): number {
  const c = text.charCodeAt(at);
  return at > from + 1 && c >= 0xdc00 && c <= 0xdfff ? at - 1 : at;
}
