/**
 * Splits extracted document text into overlapping chunks for embedding and
 * citation (SPEC §3.6: CHUNK_SIZE_TOKENS, CHUNK_OVERLAP_TOKENS).
 */
import { fittingSuffix, type Span } from './split.ts';
import { estimateTokens } from './tokens.ts';
import { buildUnits } from './units.ts';

/** Budgets for {@link chunkText}, in tokens as counted by `estimateTokens`. */
export interface ChunkOptions {
  /** Most tokens in one chunk; an integer ≥ 8. */
  sizeTokens: number;
  /** Target tokens repeated from the end of the previous chunk; 0 to sizeTokens / 2. */
  overlapTokens: number;
}

/** One chunk; `text === source.slice(startChar, endChar)`. */
export interface Chunk {
  /** Position in the document, from 0; cited as (document, index). */
  index: number;
  /** The source text verbatim, trimmed of leading and trailing whitespace only. */
  text: string;
  /** UTF-16 offsets into the source, for highlighting. */
  startChar: number;
  endChar: number;
  /** `estimateTokens(text)`, never above `sizeTokens`. */
  tokens: number;
}

/**
 * Cuts `text` into chunks of at most `sizeTokens` estimated tokens,
 * deterministically. Units are paragraphs' sentences (a markdown heading
 * rides with the sentence after it); a sentence over the budget is cut at
 * whitespace, then between tokens, then between code points, so no chunk
 * ever exceeds the budget. Each chunk after the first begins with about
 * `overlapTokens` of the previous chunk: whole sentences where they fit,
 * else the last words of its final sentence. Chunk text is trimmed but
 * otherwise verbatim (no whitespace normalisation), so offsets are exact.
 * Whitespace-only text yields no chunks. Throws RangeError on bad options.
 */
export function chunkText(text: string, options: ChunkOptions): Chunk[] {
  const { sizeTokens: size, overlapTokens: overlap } = options;
  if (!Number.isInteger(size) || size < 8) throw new RangeError('sizeTokens must be an integer of at least 8');
  if (!Number.isInteger(overlap) || overlap < 0 || overlap > size / 2) {
    throw new RangeError('overlapTokens must be an integer from 0 to sizeTokens / 2');
  }
  const units = buildUnits(text, size, overlap);
  const chunks: Chunk[] = [];
  let prevFirst = -1;
  for (let i = 0; i < units.length;) {
    const first = units[i]!;
    const lead = i > 0 ? overlapBefore(text, units, i, prevFirst, Math.min(overlap, size - first.tokens)) : undefined;
    let start = lead?.start ?? first.start;
    let sum = (lead?.tokens ?? 0) + first.tokens;
    let k = i + 1;
    while (k < units.length && sum + units[k]!.tokens <= size) sum += units[k++]!.tokens;
    // Sums are exact except where a word cut in two is rejoined; re-measure
    // and give up overlap, then trailing units, until the chunk fits.
    let tokens = estimateTokens(text.slice(start, units[k - 1]!.end));
    while (tokens > size) {
      if (start < first.start) start = first.start;
      else k--;
      tokens = estimateTokens(text.slice(start, units[k - 1]!.end));
    }
    const end = units[k - 1]!.end;
    chunks.push({ index: chunks.length, text: text.slice(start, end), startChar: start, endChar: end, tokens });
    prevFirst = i;
    i = k;
  }
  return chunks;
}

// The overlap for a chunk whose new text starts at units[i]: whole units
// back from i-1 within budget, never reaching the previous chunk's first
// new unit (so every chunk starts later than the one before), else a
// word-bounded tail of units[i-1], which always starts after it.
function overlapBefore(text: string, units: Span[], i: number, prevFirst: number, budget: number): Span | undefined {
  if (budget <= 0) return undefined;
  let j = i;
  let tokens = 0;
  while (j - 1 > prevFirst && tokens + units[j - 1]!.tokens <= budget) tokens += units[--j]!.tokens;
  if (j < i) return { start: units[j]!.start, end: units[i - 1]!.end, tokens };
  const last = units[i - 1]!;
  return fittingSuffix(text, last.start, last.end, budget);
}
