import { createPublicKey, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BUNDLE_SIG_FORMAT, keyFingerprint, signBundleSums, verifyBundleSums } from '../../../../server/init/bundle/signature.ts';
import { compiledBundleKeyring } from '../../../../server/init/bundle/keyring.ts';
import { TEST_BUNDLE_JWK, TEST_BUNDLE_KEYRING } from '../../../helpers/bundle.ts';

const sums = Buffer.from(`${'ab'.repeat(32)}  images/onsite-0.1.0.tar\n`);

describe('SHA256SUMS.sig', () => {
  it('is one JSON line whose signature covers the exact bytes of SHA256SUMS (checkable without onsite)', () => {
    const text = signBundleSums(sums, TEST_BUNDLE_JWK);
    expect(text.endsWith('\n')).toBe(true);
    const sig = JSON.parse(text) as Record<string, string>;
    expect(Object.keys(sig)).toEqual(['format', 'alg', 'kid', 'sig']);
    expect(sig).toMatchObject({ format: BUNDLE_SIG_FORMAT, alg: 'Ed25519', kid: 'test-bundle-key' });
    const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: TEST_BUNDLE_KEYRING['test-bundle-key']! }, format: 'jwk' });
    expect(verify(null, sums, publicKey, Buffer.from(sig.sig!, 'base64url'))).toBe(true);
  });

  it('verifies and reports the key id and fingerprint; any changed byte fails', () => {
    const text = signBundleSums(sums, TEST_BUNDLE_JWK);
    expect(verifyBundleSums(sums, text, TEST_BUNDLE_KEYRING)).toEqual({
      kid: 'test-bundle-key',
      fingerprint: keyFingerprint(TEST_BUNDLE_KEYRING['test-bundle-key']!),
    });
    const altered = Buffer.from(sums);
    altered[0] = 'c'.charCodeAt(0);
    expect(() => verifyBundleSums(altered, text, TEST_BUNDLE_KEYRING)).toThrow(/does not match SHA256SUMS/);
  });

  it('takes the key id from the argument over the JWK, and refuses a non-Ed25519 key', () => {
    expect(JSON.parse(signBundleSums(sums, TEST_BUNDLE_JWK, 'release-2027')).kid).toBe('release-2027');
    expect(() => signBundleSums(sums, { kty: 'oct', k: 'AAAA', kid: 'x' })).toThrow();
  });

  it('refuses extra fields, other algorithms and unknown keys with signature_invalid', () => {
    const good = JSON.parse(signBundleSums(sums, TEST_BUNDLE_JWK)) as Record<string, string>;
    for (const bad of [
      { ...good, extra: 1 },
      { ...good, alg: 'RS256' },
      { ...good, sig: good.sig!.slice(1) },
    ]) {
      expect(() => verifyBundleSums(sums, JSON.stringify(bad), TEST_BUNDLE_KEYRING)).toThrow(/not a bundle signature/);
    }
    // An inherited property name must not count as a key.
    expect(() => verifyBundleSums(sums, JSON.stringify({ ...good, kid: 'toString' }), TEST_BUNDLE_KEYRING)).toThrow(
      expect.objectContaining({ name: 'AppError', code: 'signature_invalid' }),
    );
  });

  it('the keyring compiled into a source run holds only the vendor file (no development key outside a build)', () => {
    expect(Object.isFrozen(compiledBundleKeyring())).toBe(true);
    expect(Object.keys(compiledBundleKeyring())).not.toContain('development');
  });
});
