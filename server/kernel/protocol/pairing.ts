import { createHash, randomBytes } from 'node:crypto';

// Crockford's base32: no I, L, O or U, so a key read aloud or off a phone is not misread.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * Generates a pairing key: 20 base32 characters (100 random bits) in groups
 * of four, short enough to read off a console and type into the admin page.
 */
export function generatePairingKey(): string {
  const bytes = randomBytes(20);
  let out = '';
  for (let i = 0; i < 20; i++) out += ALPHABET[bytes[i]! & 31];
  return out.match(/.{4}/g)!.join('-');
}

/** Canonical form of a typed pairing key: upper case, no separators, look-alikes mapped. */
export function normalizePairingKey(key: string): string {
  return key.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
}

/** SHA-256 (hex) of a pairing key's canonical form: what the miner sends and the server keeps. */
export function pairingKeyHash(key: string): string {
  return createHash('sha256').update(normalizePairingKey(key)).digest('hex');
}
