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

/**
 * True when the SHA-256 of `secret` is the stored hex digest, compared in
 * constant time. One hash: comparing the hex strings with
 * {@link secretsEqual} would hash both again, on every API request.
 */
export function digestMatches(secret: string, storedHex: string): boolean {
  const digest = createHash('sha256').update(secret, 'utf8').digest();
  const stored = Buffer.from(storedHex, 'hex');
  return stored.length === digest.length && timingSafeEqual(digest, stored);
}

/** SHA-256 of a string or buffer as lowercase hex. */
export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Shortest secret accepted, in characters. */
export const MIN_SECRET_LENGTH = 32;

// Values copied from examples, docs or habits: a secret containing one of
// these was typed by a person, not generated.
const EXAMPLE_MARKERS =
  /change.?me|example|replace.?me|placeholder|your.?(secret|token|key)|insecure|dummy|not.?secret|xxxxxx|secret.?here|todo|password|12345678|qwerty/i;

/** Explains why a secret value is unacceptable, or returns undefined when it is fine. */
export function secretProblem(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return 'missing';
  if (value.length < MIN_SECRET_LENGTH) return `too short (${value.length} characters, at least ${MIN_SECRET_LENGTH})`;
  if (EXAMPLE_MARKERS.test(value)) return 'looks like an example value, not a generated secret';
  if (new Set(value).size < 12) return 'too few distinct characters to be random';
  return undefined;
}

/**
 * A generated secret every role accepts: 32 random bytes, drawn again in the
 * rare case (about 1 in 25,000) that the text happens to contain a marker
 * {@link secretProblem} takes for a typed example.
 */
export function generateAcceptedSecret(): string {
  for (;;) {
    const value = generateSecret(32);
    if (!secretProblem(value)) return value;
  }
}
