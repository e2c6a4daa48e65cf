import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { AppError } from './errors.ts';

// Sealed values look like `v1.<kid>.<nonce>.<ciphertext+tag>`, each part
// base64url. The version names the whole recipe (HKDF-SHA256 → AES-256-GCM,
// 12-byte nonce, 16-byte tag); the key id says which key sealed it, so a
// rotated keyring opens old values without trying every key (as Vault
// transit's `vault:v1:` prefix and Rails' stored key references do).
const VERSION = 'v1';
const SALT = 'onsite.seal';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const SEALED = /^v1\.([A-Za-z0-9_-]{11})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{22,})$/;

/** Longest plaintext a sealed value may hold, in bytes: these are secrets, not documents. */
export const MAX_SEALED_PLAINTEXT_BYTES = 16 * 1024;

const derive = (secret: string, purpose: string, bytes: number): Buffer =>
  Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), SALT, `onsite.seal.${VERSION}.${purpose}`, bytes));

/**
 * The key id of an encryption secret: 8 bytes of HKDF output under its own
 * label, so it names the key without revealing anything about the AES key
 * derived from the same secret.
 */
export function sealKeyId(secret: string): string {
  return derive(secret, 'key-id', 8).toString('base64url');
}

// The header and the caller's context are authenticated with the value: a
// sealed value copied to another row, column or table does not open there.
const aad = (kid: string, context: string) => Buffer.from(`${VERSION}.${kid}|${context}`, 'utf8');

/** Seals and opens values with the current key; opens with any previous one too. */
export interface Keyring {
  /** Key id of the current key: every new value is sealed under it. */
  readonly currentKeyId: string;
  /** Tells whether a key id belongs to this keyring (current or previous). */
  knows(kid: string): boolean;
  /** Seals `plaintext` for `context` (e.g. `table.column:row`) under the current key. */
  seal(plaintext: string, context: string): string;
  /**
   * Opens a sealed value for the same `context` it was sealed for. Throws
   * `seal_key_unknown` when no key of the ring sealed it, `seal_invalid`
   * when it is malformed, altered, or belongs to another context.
   */
  open(sealed: string, context: string): string;
}

/**
 * Builds the keyring from `DB_ENCRYPTION_KEY` (`current`) and the keys it
 * replaced (`DB_ENCRYPTION_KEY_PREVIOUS`), each turned into a 32-byte
 * AES-256-GCM key with HKDF-SHA256.
 */
export function createKeyring(current: string, previous: readonly string[] = []): Keyring {
  const keys = new Map<string, Buffer>();
  for (const secret of [current, ...previous]) {
    const kid = sealKeyId(secret);
    if (!keys.has(kid)) keys.set(kid, derive(secret, 'aes-256-gcm', 32));
  }
  const currentKeyId = sealKeyId(current);
  return {
    currentKeyId,
    knows: (kid) => keys.has(kid),
    seal(plaintext, context) {
      const data = Buffer.from(plaintext, 'utf8');
      if (data.length > MAX_SEALED_PLAINTEXT_BYTES) throw new AppError('bad_request', `a secret holds at most ${MAX_SEALED_PLAINTEXT_BYTES} bytes`);
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', keys.get(currentKeyId)!, nonce, { authTagLength: TAG_BYTES });
      cipher.setAAD(aad(currentKeyId, context));
      const body = Buffer.concat([cipher.update(data), cipher.final(), cipher.getAuthTag()]);
      return `${VERSION}.${currentKeyId}.${nonce.toString('base64url')}.${body.toString('base64url')}`;
    },
    open(sealed, context) {
      const m = SEALED.exec(sealed);
      if (!m) throw new AppError('seal_invalid', 'the stored secret is not a sealed value (damaged or written by something else)');
      const [, kid, nonce, rest] = m as unknown as [string, string, string, string];
      const key = keys.get(kid);
      if (!key) {
        throw new AppError(
          'seal_key_unknown',
          `the stored secret was sealed with key ${kid}, which is neither DB_ENCRYPTION_KEY nor one of DB_ENCRYPTION_KEY_PREVIOUS`,
          { keyId: kid },
        );
      }
      const body = Buffer.from(rest, 'base64url');
      if (body.length < TAG_BYTES) throw new AppError('seal_invalid', 'the stored secret is truncated');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(nonce, 'base64url'), { authTagLength: TAG_BYTES });
        decipher.setAAD(aad(kid, context));
        decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
        return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
      } catch {
        throw new AppError('seal_invalid', 'the stored secret does not open: it was altered, or moved from another record');
      }
    },
  };
}
