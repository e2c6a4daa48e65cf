import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { AppError } from '../kernel/errors.ts';
import { COMMON_PASSWORDS } from './common-passwords.ts';

/** Shortest password accepted. */
export const MIN_PASSWORD_LENGTH = 12;
const MAX_PASSWORD_LENGTH = 256;

// scrypt cost: N = 2^15, r = 8 (128 · N · r = 32 MiB per hash), about 60–100 ms
// on one core here: slow for guessing, fine for sign-in.
const COST = { N: 2 ** 15, r: 8, p: 1 };
const KEY_LENGTH = 64;

function scryptAsync(password: string, salt: Buffer, keylen: number, o: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, keylen, { ...o, maxmem: 256 * o.N! * o.r! }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** Hashes a password with scrypt and a fresh 16-byte salt: `scrypt$N$r$p$salt$hash`. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, KEY_LENGTH, COST);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

// Verified when the account does not exist, so both answers take the same time.
let dummyHash: Promise<string> | undefined;

/**
 * Checks a password against a stored hash in constant time. With no hash
 * (unknown account) it still does the same work and answers false.
 */
export async function verifyPassword(password: string, stored: string | null | undefined): Promise<boolean> {
  const target = stored ?? (await (dummyHash ??= hashPassword(randomBytes(16).toString('hex'))));
  const [scheme, n, r, p, salt, hash] = target.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await scryptAsync(password, Buffer.from(salt, 'base64url'), expected.length, { N: Number(n), r: Number(r), p: Number(p) });
  return timingSafeEqual(key, expected) && stored !== undefined && stored !== null;
}

/**
 * Enforces the password policy: at least 12 characters, not a common
 * password, not the email (or its local part). Throws `weak_password`.
 */
export function checkPasswordPolicy(password: string, email: string): void {
  const reasons: string[] = [];
  if (password.length < MIN_PASSWORD_LENGTH) reasons.push(`use at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.length > MAX_PASSWORD_LENGTH) reasons.push(`use at most ${MAX_PASSWORD_LENGTH} characters`);
  const lower = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lower)) reasons.push('this password is too common');
  const mail = email.toLowerCase();
  const local = mail.split('@')[0] ?? '';
  if (lower === mail || (local.length >= 4 && lower.includes(local))) reasons.push('do not use your email address in the password');
  if (new Set(password).size < 5) reasons.push('use more different characters');
  if (reasons.length > 0) throw new AppError('weak_password', `password rejected: ${reasons.join('; ')}`);
}
