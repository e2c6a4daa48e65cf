import { describe, expect, it } from 'vitest';
import { createKeyring, MAX_SEALED_PLAINTEXT_BYTES, sealKeyId } from '../../../server/kernel/seal.ts';
import { secret } from '../../helpers/env.ts';
import { errorCode as codeOf } from '../../helpers/errors.ts';

// Flips one character of the base64url part `index` (0 version … 3 ciphertext+tag).
const alterPart = (sealed: string, index: number, at = 0): string => {
  const parts = sealed.split('.');
  const p = parts[index]!;
  parts[index] = p.slice(0, at) + (p[at] === 'A' ? 'B' : 'A') + p.slice(at + 1);
  return parts.join('.');
};

describe('sealing with AES-256-GCM under DB_ENCRYPTION_KEY', () => {
  const key = secret();
  const ring = createKeyring(key);
  const context = 'sealed_secrets.value:smtp.password';

  it('round-trips, names its key, and never shows the plaintext', () => {
    const plaintext = 'correct horse battery staple ✓';
    const sealed = ring.seal(plaintext, context);
    expect(sealed).toMatch(/^v1\.[\w-]{11}\.[\w-]{16}\.[\w-]{22,}$/);
    expect(sealed.split('.')[1]).toBe(sealKeyId(key));
    expect(sealed).not.toContain('horse');
    expect(Buffer.from(sealed.split('.')[3]!, 'base64url').toString('latin1')).not.toContain('horse');
    expect(ring.open(sealed, context)).toBe(plaintext);
    // A fresh nonce each time: the same secret never seals to the same text.
    expect(ring.seal(plaintext, context)).not.toBe(sealed);
  });

  it('derives the key id apart from the key: same secret, same id; another secret, another id', () => {
    expect(sealKeyId(key)).toBe(sealKeyId(key));
    expect(sealKeyId(secret())).not.toBe(sealKeyId(key));
    expect(ring.currentKeyId).toBe(sealKeyId(key));
  });

  it('refuses a value sealed under another key with seal_key_unknown', () => {
    const other = createKeyring(secret()).seal('x', context);
    expect(codeOf(() => ring.open(other, context))).toBe('seal_key_unknown');
  });

  it('opens values of a previous key once it is listed, and seals only under the current one', () => {
    const old = secret();
    const sealedOld = createKeyring(old).seal('old value', context);
    const rotated = createKeyring(secret(), [old]);
    expect(rotated.open(sealedOld, context)).toBe('old value');
    expect(rotated.knows(sealKeyId(old))).toBe(true);
    expect(rotated.seal('new', context).split('.')[1]).toBe(rotated.currentKeyId);
    expect(rotated.currentKeyId).not.toBe(sealKeyId(old));
  });

  it.each([
    ['the nonce altered', (s: string) => alterPart(s, 2)],
    ['the ciphertext altered', (s: string) => alterPart(s, 3)],
    ['the tag altered', (s: string) => alterPart(s, 3, s.split('.')[3]!.length - 2)],
    ['truncated', (s: string) => s.slice(0, -4)],
    ['another version', (s: string) => s.replace(/^v1\./, 'v2.')],
    ['not sealed at all', () => 'plain text'],
  ])('refuses a value with %s (seal_invalid)', (_name, tamper) => {
    const sealed = ring.seal('a secret', context);
    expect(codeOf(() => ring.open(tamper(sealed), context))).toBe('seal_invalid');
  });

  it('binds a value to its row: moved to another name, it does not open (seal_invalid)', () => {
    const sealed = ring.seal('the password of A', 'sealed_secrets.value:a');
    expect(codeOf(() => ring.open(sealed, 'sealed_secrets.value:b'))).toBe('seal_invalid');
    expect(ring.open(sealed, 'sealed_secrets.value:a')).toBe('the password of A');
  });

  it('binds the key id too: a value relabelled with another key id of the ring does not open', () => {
    const old = secret();
    const both = createKeyring(secret(), [old]);
    const sealed = both.seal('v', context);
    const relabelled = sealed.replace(`.${both.currentKeyId}.`, `.${sealKeyId(old)}.`);
    expect(codeOf(() => both.open(relabelled, context))).toBe('seal_invalid');
  });

  it('bounds what it seals', () => {
    expect(codeOf(() => ring.seal('x'.repeat(MAX_SEALED_PLAINTEXT_BYTES + 1), context))).toBe('bad_request');
    expect(ring.open(ring.seal('x'.repeat(MAX_SEALED_PLAINTEXT_BYTES), context), context)).toHaveLength(MAX_SEALED_PLAINTEXT_BYTES);
  });
});
