import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { z } from 'zod';
import { AppError } from '../server/kernel/errors.ts';
import { decodeBase32, encodeBase32, group } from './base32.ts';

/** What an activation code grants one installation. Times are seconds since the epoch. */
export const claimsSchema = z.strictObject({
  v: z.literal(1),
  keyId: z.string().regex(/^[\w.-]{1,40}$/),
  licenseId: z.string().regex(/^[\w.-]{1,64}$/),
  customer: z.string().min(1).max(200),
  seats: z.number().int().min(1).max(1_000_000),
  features: z.array(z.string().regex(/^[\w.-]{1,40}$/)).max(50),
  issuedAt: z.number().int().nonnegative(),
  notBefore: z.number().int().nonnegative(),
  expiresAt: z.number().int().positive(),
  graceDays: z.number().int().min(0).max(365),
  installationId: z.string().regex(/^[0-9a-f]{32}$/),
});

/** The claims inside an activation code. */
export type ActivationClaims = z.infer<typeof claimsSchema>;

/** Public keys by key ID (Ed25519, raw 32 bytes as base64url). */
export type Keyring = Readonly<Record<string, string>>;

/** Text in front of every activation code. */
export const ACTIVATION_PREFIX = 'OSA1';
// Signatures cover this label too, so a signature made for anything else never verifies.
const DOMAIN = Buffer.from('onsite-activation-v1\n');

function publicKeyFrom(raw: string): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw }, format: 'jwk' });
}

/** Signs claims with the vendor's Ed25519 private key (a JWK) and encodes the code. */
export function encodeActivationCode(claims: ActivationClaims, privateJwk: Record<string, string>): string {
  const payload = Buffer.from(JSON.stringify(claimsSchema.parse(claims)), 'utf8');
  const signature = sign(null, Buffer.concat([DOMAIN, payload]), createPrivateKey({ key: privateJwk, format: 'jwk' }));
  const head = Buffer.alloc(2);
  head.writeUInt16BE(payload.length);
  const body = Buffer.concat([head, payload, signature]);
  const sum = Buffer.alloc(4);
  sum.writeUInt32BE(crc32(body));
  return `${ACTIVATION_PREFIX}-${group(encodeBase32(Buffer.concat([body, sum])), 5)}`;
}

/**
 * Decodes an activation code and verifies its signature against the
 * keyring. The text must be exactly as issued (canonical characters and
 * grouping, surrounding whitespace aside), so any altered character fails.
 */
export function verifyActivationCode(text: string, keyring: Keyring): ActivationClaims {
  const malformed = (why: string) => new AppError('malformed', `the activation code is malformed: ${why}`);
  const code = text.trim();
  if (code.length > 8000) throw malformed('too long');
  if (!code.startsWith(`${ACTIVATION_PREFIX}-`)) throw malformed(`it must start with ${ACTIVATION_PREFIX}-`);
  const bytes = decodeBase32(code.slice(ACTIVATION_PREFIX.length + 1).replaceAll('-', ''));
  if (!bytes || bytes.length < 2 + 2 + 64 + 4) throw malformed('characters are missing or not allowed');
  const buf = Buffer.from(bytes);
  if (`${ACTIVATION_PREFIX}-${group(encodeBase32(buf), 5)}` !== code) throw malformed('it was not copied exactly');
  const body = buf.subarray(0, buf.length - 4);
  if (crc32(body) !== buf.readUInt32BE(buf.length - 4)) throw malformed('the checksum does not match; it was altered or mistyped');
  const length = body.readUInt16BE(0);
  if (body.length !== 2 + length + 64) throw malformed('wrong length');
  const payload = body.subarray(2, 2 + length);
  const signature = body.subarray(2 + length);

  let claims: ActivationClaims;
  try {
    claims = claimsSchema.parse(JSON.parse(payload.toString('utf8')));
  } catch {
    throw malformed('the content is not a valid license');
  }
  const raw = Object.hasOwn(keyring, claims.keyId) ? keyring[claims.keyId] : undefined;
  if (!raw) throw new AppError('unknown_key', `the code is signed with key "${claims.keyId}", which this build does not trust`);
  if (!verify(null, Buffer.concat([DOMAIN, payload]), publicKeyFrom(raw), signature)) {
    throw new AppError('bad_signature', 'the signature does not match: the code was altered or not issued by the vendor');
  }
  return claims;
}

/** Checks verified claims against this installation and a point in time (seconds). */
export function checkActivationFor(claims: ActivationClaims, installationId: string, nowSeconds: number): void {
  if (claims.installationId !== installationId) {
    throw new AppError('wrong_installation', "this activation code was issued for another installation; send this installation's request code to the vendor");
  }
  if (nowSeconds < claims.notBefore) throw new AppError('not_yet_valid', `this code is valid from ${new Date(claims.notBefore * 1000).toISOString()}`);
  if (nowSeconds >= claims.expiresAt) throw new AppError('expired', `this code expired on ${new Date(claims.expiresAt * 1000).toISOString()}`);
}
