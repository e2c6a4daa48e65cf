// SHA256SUMS.sig: the vendor's Ed25519 signature over the exact bytes of
// SHA256SUMS. A JSON object, one line:
//
//   {"format":"onsite-bundle-sig-v1","alg":"Ed25519","kid":"<key id>","sig":"<base64url, 64 bytes>"}
//
// The signature covers the raw file, with no label or canonicalisation, so
// anyone holding the public key can check it with standard tools.
import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { z } from 'zod';
import type { Keyring } from '../../../licenses/activation-code.ts';
import { AppError } from '../../kernel/errors.ts';

/** The value of `format` in a signature file. */
export const BUNDLE_SIG_FORMAT = 'onsite-bundle-sig-v1';

const sigFileSchema = z.strictObject({
  format: z.literal(BUNDLE_SIG_FORMAT),
  alg: z.literal('Ed25519'),
  kid: z.string().regex(/^[\w.-]{1,40}$/),
  sig: z.string().regex(/^[A-Za-z0-9_-]{86}$/), // 64 bytes, base64url without padding
});

/** Which key signed a verified SHA256SUMS. */
export interface BundleSigner {
  kid: string;
  /** SHA-256 of the raw public key, for the operator to compare with the vendor's published one. */
  fingerprint: string;
}

/**
 * Signs SHA256SUMS for a release bundle and returns the text of
 * SHA256SUMS.sig. `privateJwk` is an Ed25519 private key as a JWK (what
 * `npm run license -- keygen` writes); `kid` defaults to the JWK's own.
 */
export function signBundleSums(sumsBytes: Uint8Array, privateJwk: Record<string, string>, kid = privateJwk.kid): string {
  if (!kid) throw new Error('signBundleSums needs a key id (kid)');
  const key = createPrivateKey({ key: privateJwk, format: 'jwk' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('signBundleSums needs an Ed25519 private key');
  const sig = sign(null, sumsBytes, key).toString('base64url');
  return `${JSON.stringify(sigFileSchema.parse({ format: BUNDLE_SIG_FORMAT, alg: 'Ed25519', kid, sig }))}\n`;
}

/** The fingerprint of a raw Ed25519 public key (base64url): SHA-256 as colon-separated uppercase hex. */
export function keyFingerprint(publicKeyB64url: string): string {
  const hex = createHash('sha256').update(Buffer.from(publicKeyB64url, 'base64url')).digest('hex').toUpperCase();
  return hex.match(/../g)!.join(':');
}

/**
 * Checks SHA256SUMS.sig against the exact bytes of SHA256SUMS and the
 * trusted keys. Throws {@link AppError} `signature_invalid` naming the
 * file and the reason; returns the signer on success.
 */
export function verifyBundleSums(sumsBytes: Uint8Array, sigText: string, keyring: Keyring, sigName = 'SHA256SUMS.sig'): BundleSigner {
  const fail = (why: string): never => {
    throw new AppError('signature_invalid', `${sigName}: ${why}; the bundle cannot be trusted, nothing was loaded or written`);
  };
  let parsed: z.infer<typeof sigFileSchema> | undefined;
  try {
    const r = sigFileSchema.safeParse(JSON.parse(sigText));
    if (r.success) parsed = r.data;
  } catch {
    // reported below as malformed, like any other shape problem
  }
  if (!parsed) return fail(`not a bundle signature (expected ${BUNDLE_SIG_FORMAT} JSON with kid and sig)`);
  const publicKey = Object.hasOwn(keyring, parsed.kid) ? keyring[parsed.kid] : undefined;
  if (!publicKey) {
    const known = Object.keys(keyring);
    return fail(`signed with key "${parsed.kid}", which this build does not trust (trusted: ${known.length ? known.join(', ') : 'none'})`);
  }
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey }, format: 'jwk' });
  if (!verify(null, sumsBytes, key, Buffer.from(parsed.sig, 'base64url'))) {
    return fail(`the signature by key "${parsed.kid}" does not match SHA256SUMS (one of the two was altered)`);
  }
  return { kid: parsed.kid, fingerprint: keyFingerprint(publicKey) };
}
