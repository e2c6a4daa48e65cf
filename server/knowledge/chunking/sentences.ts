/**
 * Sentence splitting tuned to be conservative: a missed boundary only makes
 * a unit larger, a false one cuts a thought in half, so ambiguous cases
 * (abbreviations, initials, a lowercase continuation) are not boundaries.
 */
import { trimRange } from './blocks.ts';

// Lower-cased, without the final dot; compared to the word before a ".".
const ABBREVIATIONS = new Set([
  'mr',
  'mrs',
  'ms',
  'dr',
  'prof',
  'sr',
  'jr',
  'st',
  'mt',
  'vs',
  'etc',
  'e.g',
  'i.e',
  'cf',
  'fig',
  'figs',
  'eq',
  'vol',
  'approx',
  'inc',
  'ltd',
  'co',
  'corp',
  'dept',
  'est',
  'al',
  'a.m',
  'p.m',
  'u.s',
  'u.k',
  'no',
  'nr',
  'ca',
  'z.b',
  'd.h',
  'bzw',
  'usw',
]);

// Latin terminators need following whitespace (so "3.14" and "a.b/c.html"
// never match); CJK terminators do not, as those scripts use no spaces.
// A newline before a list item, quote or table row is a boundary as well.
const BOUNDARY = /[.!?…]+["'”’)\]]*(?=\s)|[。！？]+["'”’」』）)\]]*|\n(?=[ \t]*(?:[-*+•][ \t]|\d{1,3}[.)][ \t]|>|\|))/gu;
const WORD_BEFORE = /[\p{L}\p{N}.]+$/u;

/** Splits [start, end) of `text` into trimmed sentence ranges that together hold all its non-whitespace text. */
export function sentenceRanges(text: string, start: number, end: number): Array<[number, number]> {
  const slice = text.slice(start, end);
  const ranges: Array<[number, number]> = [];
  let prev = 0;
  for (const m of slice.matchAll(BOUNDARY)) {
    const cut = m.index + m[0].length;
    if (cut >= slice.length || !isBoundary(slice, m.index, m[0], cut)) continue;
    push(ranges, text, start + prev, start + cut);
    prev = cut;
  }
  push(ranges, text, start + prev, end);
  return ranges;
}

function isBoundary(slice: string, at: number, mark: string, cut: number): boolean {
  if (mark === '\n' || /^[。！？]/.test(mark)) return true;
  const next = /\S/u.exec(slice.slice(cut, cut + 8))?.[0] ?? '';
  if (/\p{Ll}/u.test(next)) return false; // "e.g. the", "approx. five"
  if (!/^\.["'”’)\]]*$/.test(mark)) return true; // "?", "!", "...", ".?"
  const word = WORD_BEFORE.exec(slice.slice(Math.max(0, at - 24), at))?.[0] ?? '';
  if (ABBREVIATIONS.has(word.toLowerCase())) return false;
  if (/^\p{Lu}$/u.test(word)) return false; // an initial: "J. Smith"
  // "1. First item" at the start of a line is a list marker, not a sentence.
  const lineStart = slice.lastIndexOf('\n', at) + 1;
  return !(/^\d+$/.test(word) && slice.slice(lineStart, at).trim() === word);
}

function push(ranges: Array<[number, number]>, text: string, start: number, end: number): void {
  const [s, e] = trimRange(text, start, end);
  if (e > s) ranges.push([s, e]);
}
