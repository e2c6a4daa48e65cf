import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../kernel/secrets.ts';
import { base32Encode } from './totp.ts';

/** How many recovery codes a factor gets at a time. */
export const RECOVERY_CODES = 10;

/** A typed code as compared: case, spaces and dashes do not matter (codes are typed by hand). */
export const normalizeCode = (code: string): string => code.replace(/[\s-]/g, '').toLowerCase();

/** A fresh set of recovery codes, `xxxxx-xxxxx` of the base32 alphabet: 50 random bits each. */
export function newRecoveryCodes(n = RECOVERY_CODES): string[] {
  return Array.from({ length: n }, () => {
    const raw = base32Encode(randomBytes(7)).slice(0, 10).toLowerCase();
    return `${raw.slice(0, 5)}-${raw.slice(5)}`;
  });
}

/** What is stored of a recovery code: the SHA-256 of its normalized text (50 random bits need no slow hash). */
export const recoveryCodeHash = (code: string): string => sha256Hex(normalizeCode(code));
