import { describe, expect, it } from 'vitest';
import { type Chunk, chunkText } from '../../../../server/knowledge/chunking/chunker.ts';
import { sentenceRanges } from '../../../../server/knowledge/chunking/sentences.ts';
import { estimateTokens } from '../../../../server/knowledge/chunking/tokens.ts';

// mulberry32: a tiny seeded PRNG so every run sees the same documents.
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = [
  'the',
  'report',
  'shows',
  'that',
  'revenue',
  'grew',
  'in',
  'every',
  'region',
  'while',
  'costs',
  'fell',
  'e.g.',
  'Dr.',
  'Mr.',
  '3.14',
  'i.e.',
  'approx.',
  'https://example.com/a.b?c=1',
  'getUserById',
  'v2.0.1',
  '(see',
  'note)',
  'naïve',
  'café',
  'internationalization',
  '42',
  'über',
  'Ωmega',
];

// Short words only: sentences of 3–7 of these stay under 32 tokens.
const PLAIN = ['the', 'report', 'shows', 'that', 'revenue', 'grew', 'in', 'every', 'region', 'e.g.', 'Dr.', '3.14', 'i.e.'];

/** Ordinary prose: returns the text and where each sentence starts. */
function prose(rand: () => number, sentences: number, vocab = WORDS, most = 12): { text: string; starts: Set<number> } {
  let text = '';
  const starts = new Set<number>();
  for (let s = 0; s < sentences; s++) {
    if (s > 0) text += rand() < 0.15 ? '\n\n' : ' ';
    starts.add(text.length);
    const n = 3 + Math.floor(rand() * (most - 2));
    const words = Array.from({ length: n }, () => vocab[Math.floor(rand() * vocab.length)]!);
    text += `Sentence ${words.join(' ')}${['.', '!', '?'][Math.floor(rand() * 3)]}`;
  }
  return { text, starts };
}

/** A messier document: headings, lists, code, CJK, CRLF, giant tokens, stray whitespace. */
function messy(rand: () => number): string {
  const parts: string[] = [];
  const count = 1 + Math.floor(rand() * 12);
  for (let i = 0; i < count; i++) {
    const r = rand();
    if (r < 0.15) parts.push(`${'#'.repeat(1 + Math.floor(rand() * 3))} Heading ${i}`);
    else if (r < 0.25) parts.push('- one item\n- two items\n1. first\n2. second');
    else if (r < 0.35) parts.push('```\n# not a heading\nconst x = foo(bar, 42);\n```');
    else if (r < 0.45) parts.push('日本語の文です。もう一つの文です！'.repeat(1 + Math.floor(rand() * 20)));
    else if (r < 0.52) parts.push('QUJD'.repeat(Math.floor(rand() * 400)) + 'x😀é\u0301');
    else if (r < 0.58) parts.push(Array.from({ length: 300 }, () => 'word').join(rand() < 0.5 ? ' ' : '\t'));
    else parts.push(prose(rand, 1 + Math.floor(rand() * 10)).text);
  }
  const seps = ['\n\n', '\n', '\r\n\r\n', '\n \t\n\n', ' '];
  return (rand() < 0.3 ? ' \n ' : '') + parts.map((p, i) => (i ? seps[Math.floor(rand() * seps.length)] : '') + p).join('');
}

function checkInvariants(text: string, chunks: Chunk[], size: number, overlap: number): void {
  const covered = new Uint8Array(text.length);
  chunks.forEach((c, i) => {
    expect(c.index).toBe(i);
    expect(c.text).toBe(text.slice(c.startChar, c.endChar));
    expect(c.text.length).toBeGreaterThan(0);
    expect(c.text.trim()).toBe(c.text);
    expect(c.tokens).toBe(estimateTokens(c.text));
    expect(c.tokens).toBeLessThanOrEqual(size);
    covered.fill(1, c.startChar, c.endChar);
    const prev = chunks[i - 1];
    if (prev) {
      expect(c.startChar).toBeGreaterThan(prev.startChar);
      expect(c.endChar).toBeGreaterThan(prev.endChar);
      if (c.startChar < prev.endChar) expect(estimateTokens(text.slice(c.startChar, prev.endChar))).toBeLessThanOrEqual(overlap);
      if (overlap === 0) expect(c.startChar).toBeGreaterThanOrEqual(prev.endChar);
    }
  });
  const lost: number[] = [];
  for (let i = 0; i < text.length; i++) if (!covered[i] && /\S/.test(text[i]!)) lost.push(i);
  expect(lost, JSON.stringify(text)).toEqual([]);
}

describe('chunkText', () => {
  it('yields no chunks for empty or whitespace-only text', () => {
    expect(chunkText('', { sizeTokens: 512, overlapTokens: 64 })).toEqual([]);
    expect(chunkText(' \n\r\n\t ', { sizeTokens: 512, overlapTokens: 64 })).toEqual([]);
  });

  it('returns short text as one trimmed chunk with exact offsets', () => {
    const text = '\n\n  Hello there, world.  \n';
    expect(chunkText(text, { sizeTokens: 512, overlapTokens: 64 })).toEqual([{ index: 0, text: 'Hello there, world.', startChar: 4, endChar: 23, tokens: 5 }]);
  });

  it('rejects budgets it cannot honour', () => {
    expect(() => chunkText('x', { sizeTokens: 4, overlapTokens: 0 })).toThrow(RangeError);
    expect(() => chunkText('x', { sizeTokens: 100, overlapTokens: 60 })).toThrow(RangeError);
    expect(() => chunkText('x', { sizeTokens: 100.5, overlapTokens: 0 })).toThrow(RangeError);
  });

  it('packs prose on sentence boundaries with about overlapTokens of overlap', () => {
    const rand = prng(7);
    for (let n = 0; n < 20; n++) {
      const { text, starts } = prose(rand, 200, PLAIN, 7);
      const chunks = chunkText(text, { sizeTokens: 128, overlapTokens: 32 });
      checkInvariants(text, chunks, 128, 32);
      expect(chunks.length).toBeGreaterThan(5);
      for (const c of chunks) expect(starts.has(c.startChar), c.text.slice(0, 40)).toBe(true);
      const shared = chunks.slice(1).map((c, i) => estimateTokens(text.slice(c.startChar, chunks[i]!.endChar)));
      // Whole sentences only, so each overlap falls short of 32 by less than a sentence.
      for (const n of shared) expect(n).toBeGreaterThan(0);
      expect(shared.reduce((a, b) => a + b, 0) / shared.length).toBeGreaterThan(32 * 0.6);
    }
  });

  it('does not split after abbreviations, initials, decimals or inside URLs', () => {
    const text = 'Dr. Smith and J. Doe measured 3.14 units, e.g. in the lab at https://example.com/a.b?x=1.5. Then it ended! Did it? Yes… Fine.';
    const sentences = sentenceRanges(text, 0, text.length).map(([s, e]) => text.slice(s, e));
    expect(sentences).toEqual([
      'Dr. Smith and J. Doe measured 3.14 units, e.g. in the lab at https://example.com/a.b?x=1.5.',
      'Then it ended!',
      'Did it?',
      'Yes…',
      'Fine.',
    ]);
  });

  it('splits CJK sentences without spaces and list items on their own lines', () => {
    const text = '日本語の文です。もう一つ！\n- apples\n- pears\n1. first';
    expect(sentenceRanges(text, 0, text.length).map(([s, e]) => text.slice(s, e))).toEqual([
      '日本語の文です。',
      'もう一つ！',
      '- apples',
      '- pears',
      '1. first',
    ]);
  });

  it('keeps a heading with the text that follows it', () => {
    const body = (i: number): string => `Section ${i} explains one idea in a sentence of moderate length. It adds a second sentence too.`;
    const text = Array.from({ length: 30 }, (_, i) => `## Heading ${i}\n\n${body(i)}`).join('\n\n');
    const chunks = chunkText(text, { sizeTokens: 40, overlapTokens: 0 });
    checkInvariants(text, chunks, 40, 0);
    for (const c of chunks) expect(c.text.split('\n').at(-1)).not.toMatch(/^#/);
    // Every heading lands in some chunk, and always followed by its section's text.
    const headings = chunks.flatMap((c) => [...c.text.matchAll(/## Heading (\d+)(\n\nSection \1)?/g)]);
    expect(headings.map((m) => Number(m[1]))).toEqual(expect.arrayContaining(Array.from({ length: 30 }, (_, i) => i)));
    expect(headings.filter((m) => m[2] === undefined).map((m) => m[0])).toEqual([]);
  });

  it('cuts an over-long sentence at whitespace and a giant token anywhere, within budget', () => {
    const long = Array.from({ length: 400 }, (_, i) => `w${i}`).join(' ');
    const giant = 'QUJD'.repeat(1000);
    const text = `${long}\n\n${giant}`;
    const chunks = chunkText(text, { sizeTokens: 64, overlapTokens: 8 });
    checkInvariants(text, chunks, 64, 8);
    for (const c of chunks.filter((c) => c.endChar <= long.length)) {
      expect(c.startChar === 0 || text[c.startChar - 1] === ' ').toBe(true);
      expect(c.endChar === long.length || text[c.endChar] === ' ').toBe(true);
    }
    expect(chunks.filter((c) => c.startChar > long.length).length).toBeGreaterThan(10);
  });

  it('keeps offsets exact with CRLF, astral characters and combining marks', () => {
    const text = 'Emoji 😀 here.\r\n\r\nCafe\u0301 au lait. 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 text!\r\n';
    const chunks = chunkText(text, { sizeTokens: 8, overlapTokens: 2 });
    checkInvariants(text, chunks, 8, 2);
    for (const c of chunks) expect(c.text).toBe(text.slice(c.startChar, c.endChar));
  });

  it('holds its invariants over a few hundred seeded random documents', () => {
    const rand = prng(20240601);
    for (let n = 0; n < 300; n++) {
      const text = messy(rand);
      const size = 8 + Math.floor(rand() * 200);
      const overlap = Math.floor(rand() * (Math.floor(size / 2) + 1));
      const chunks = chunkText(text, { sizeTokens: size, overlapTokens: overlap });
      checkInvariants(text, chunks, size, overlap);
      expect(chunkText(text, { sizeTokens: size, overlapTokens: overlap })).toEqual(chunks);
    }
  });
});
