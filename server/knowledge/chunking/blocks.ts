/**
 * Paragraph and heading detection: the coarsest units the chunker packs.
 */

/** A paragraph or a markdown heading line; the range excludes surrounding whitespace. */
export interface Block {
  start: number;
  end: number;
  heading: boolean;
}

const HEADING = /^ {0,3}#{1,6}(?:[ \t]|$)/;
const FENCE = /^ {0,3}(?:```|~~~)/;

/**
 * Splits text into paragraphs (runs of non-blank lines) and markdown
 * heading lines, in order. Heading detection is off inside fenced code so
 * shell and Python comments stay with their code.
 */
export function splitBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  let start = -1;
  let end = -1;
  let inFence = false;
  const close = (): void => {
    if (start >= 0) blocks.push({ start, end, heading: false });
    start = -1;
  };
  for (let pos = 0; pos <= text.length;) {
    const newline = text.indexOf('\n', pos);
    const lineEnd = newline < 0 ? text.length : newline;
    const line = text.slice(pos, lineEnd);
    const first = line.search(/\S/);
    if (first < 0) close();
    else {
      const s = pos + first;
      const e = pos + line.trimEnd().length;
      if (FENCE.test(line)) inFence = !inFence;
      if (!inFence && HEADING.test(line)) {
        close();
        blocks.push({ start: s, end: e, heading: true });
      } else {
        if (start < 0) start = s;
        end = e;
      }
    }
    if (newline < 0) break;
    pos = newline + 1;
  }
  close();
  return blocks;
}

/** Narrows [start, end) to exclude leading and trailing whitespace; empty ranges collapse to start. */
export function trimRange(text: string, start: number, end: number): [number, number] {
  while (start < end && /\s/.test(text[start]!)) start++;
  while (end > start && /\s/.test(text[end - 1]!)) end--;
  return [start, end];
}
