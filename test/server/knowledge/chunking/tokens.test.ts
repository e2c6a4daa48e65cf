import { describe, expect, it } from 'vitest';
import { estimateTokens } from '../../../../server/knowledge/chunking/tokens.ts';

describe('estimateTokens', () => {
  it('is zero for empty and whitespace-only text', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens(' \n\t\r\n ')).toBe(0);
  });

  it('counts prose at about one to one and a half tokens a word', () => {
    const prose = 'The committee reviewed the proposal and agreed to publish the final report next week.';
    const words = prose.split(/\s+/).length;
    expect(estimateTokens(prose)).toBeGreaterThanOrEqual(words);
    expect(estimateTokens(prose)).toBeLessThanOrEqual(Math.ceil(words * 1.5));
  });

  it('does not under-count identifiers, hashes, numbers and code', () => {
    expect(estimateTokens('getUserAccountById')).toBeGreaterThanOrEqual(5);
    expect(estimateTokens('snake_case_identifier_name')).toBeGreaterThanOrEqual(7);
    expect(estimateTokens('9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08')).toBeGreaterThanOrEqual(24);
    expect(estimateTokens('QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo')).toBeGreaterThanOrEqual(12);
    expect(estimateTokens('3141592653589793')).toBeGreaterThanOrEqual(6);
    expect(estimateTokens('if (x.length > 0) { return y[0]; }')).toBeGreaterThanOrEqual(15);
  });

  it('counts a token per character in scripts written without spaces', () => {
    expect(estimateTokens('日本語の文です。')).toBe(8);
    expect(estimateTokens('ภาษาไทย')).toBe(7);
  });

  it('adds up across cuts at whitespace and punctuation', () => {
    const a = 'Version 3.14 of libFooBar';
    const b = '(see https://example.com/x?y=1), done.';
    expect(estimateTokens(`${a} ${b}`)).toBe(estimateTokens(a) + estimateTokens(b));
    expect(estimateTokens('foo.bar')).toBe(estimateTokens('foo.') + estimateTokens('bar'));
  });

  it('counts a character outside the BMP as two', () => {
    expect(estimateTokens('😀')).toBe(2);
  });
});
