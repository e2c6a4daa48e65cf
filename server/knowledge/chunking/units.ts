/**
 * The packing units: sentences, with headings glued to what follows them
 * and anything over the budget cut down to size.
 */
import { splitBlocks } from './blocks.ts';
import { sentenceRanges } from './sentences.ts';
import { splitToBudget, type Span } from './split.ts';
import { estimateTokens } from './tokens.ts';

/**
 * Turns `text` into ordered, trimmed spans of at most `size` tokens that
 * together hold all its non-whitespace text. A markdown heading is merged
 * into the first sentence after it, so packing can never end a chunk on a
 * heading; a heading with nothing after it stands alone. A sentence over
 * `size` is cut into pieces of at most `size - overlap`, leaving room for
 * the overlap in front of each piece; sentences that fit are kept whole.
 */
export function buildUnits(text: string, size: number, overlap: number): Span[] {
  const units: Span[] = [];
  const add = (start: number, end: number): void => {
    const tokens = estimateTokens(text.slice(start, end));
    if (tokens <= size) units.push({ start, end, tokens });
    else units.push(...splitToBudget(text, start, end, size - overlap));
  };
  let headingStart: number | undefined;
  for (const block of splitBlocks(text)) {
    if (block.heading) {
      headingStart ??= block.start;
      continue;
    }
    for (const [start, end] of sentenceRanges(text, block.start, block.end)) {
      add(headingStart ?? start, end);
      headingStart = undefined;
    }
  }
  if (headingStart !== undefined) add(headingStart, text.trimEnd().length);
  return units;
}
