import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Generates a URL-safe secret from `bytes` random bytes (at least 32). */
export function generateSecret(bytes = 32): string {
  if (bytes < 32) throw new RangeError('secrets need at least 32 random bytes');
  return randomBytes(bytes).toString('base64url');
}

/**
 * Compares two secrets in constant time. Both sides are hashed first so the
 * comparison takes the same time whatever their lengths.
 */
export function secretsEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}

/** SHA-256 of a string or buffer as lowercase hex. */
export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
