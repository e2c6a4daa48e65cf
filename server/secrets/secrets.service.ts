import type { Clock } from '../kernel/clock.ts';
import { AppError, isAppError } from '../kernel/errors.ts';
import type { Keyring } from '../kernel/seal.ts';
import { generateSecret } from '../kernel/secrets.ts';
import type { SealedSecretRow, SealedSecretsStore } from './secrets.store.ts';

/**
 * Name of the key-check value: a random secret sealed at the first start,
 * so a changed `DB_ENCRYPTION_KEY` is noticed at start even before any
 * feature has stored a secret of its own. Names under `onsite.` are ours.
 */
export const KEY_CHECK_NAME = 'onsite.key_check';

const NAME = /^[a-z0-9][a-z0-9._:-]{0,127}$/;

// The context each value is bound to (its AAD): its table and row.
const contextOf = (name: string) => `sealed_secrets.value:${name}`;

/** How the stored secrets stand against the keyring. */
export interface SecretsStatus {
  /** Key id of the current key. */
  keyId: string;
  total: number;
  /** Sealed under the current key. */
  current: number;
  /** Sealed under a previous key of the ring: `onsite admin rotate-key` re-seals them. */
  previous: Array<{ keyId: string; n: number }>;
  /** Sealed under a key the ring does not hold: unreadable until that key is back. */
  unknown: Array<{ keyId: string; n: number }>;
}

/** What a key rotation did. */
export interface RotateResult {
  keyId: string;
  /** Names re-sealed under the current key. */
  resealed: string[];
  /** Names deleted because no key of the ring opens them (only with `forgetUnreadable`). */
  forgotten: string[];
}

const unknownKeyError = (rows: SealedSecretRow[]) => {
  const kids = [...new Set(rows.map((r) => r.keyId))];
  return new AppError(
    'seal_key_unknown',
    `${rows.length} stored secret(s) (${rows.map((r) => r.name).join(', ')}) were sealed with key id ${kids.join(', ')}, ` +
      'which is neither DB_ENCRYPTION_KEY nor in DB_ENCRYPTION_KEY_PREVIOUS. Put that key back in DB_ENCRYPTION_KEY_PREVIOUS ' +
      'and run `onsite admin rotate-key`; if it is lost for good, `onsite admin rotate-key --forget-unreadable` deletes them ' +
      'so they can be entered again',
    { keyIds: kids, names: rows.map((r) => r.name) },
  );
};

/**
 * Stored secrets that must be read back, sealed with the keyring built from
 * `DB_ENCRYPTION_KEY` (see server/kernel/seal.ts). Each value is bound to its
 * name, opens under any key of the ring by its key id, and is re-sealed
 * under the current key by {@link rotate}.
 */
export function createSecretsService(deps: { store: SealedSecretsStore; keyring: Keyring; clock: Clock }) {
  const { store, keyring, clock } = deps;
  const checkName = (name: string) => {
    if (!NAME.test(name)) throw new AppError('bad_request', 'a secret name is 1 to 128 of a-z, 0-9 and . _ : -, starting with a letter or digit');
  };
  const put = (name: string, plaintext: string) => {
    checkName(name);
    const value = keyring.seal(plaintext, contextOf(name));
    store.put(name, value, keyring.currentKeyId, new Date(clock()));
  };

  const status = (): SecretsStatus => {
    const s: SecretsStatus = { keyId: keyring.currentKeyId, total: 0, current: 0, previous: [], unknown: [] };
    for (const { keyId, n } of store.countByKey()) {
      s.total += n;
      if (keyId === keyring.currentKeyId) s.current += n;
      else (keyring.knows(keyId) ? s.previous : s.unknown).push({ keyId, n });
    }
    return s;
  };

  return {
    /** Seals and stores a secret under `name`, replacing any value there. Run it in the caller's transaction when it goes with other rows. */
    put,
    /** The plaintext stored under `name`, or undefined when there is none; throws `seal_key_unknown` or `seal_invalid` when it does not open. */
    get(name: string): string | undefined {
      const row = store.get(name);
      return row ? keyring.open(row.value, contextOf(name)) : undefined;
    },
    /** Deletes a stored secret; true when there was one. */
    remove: (name: string): boolean => store.remove(name),
    status,

    /**
     * At start: seals the key-check value on a fresh database, then refuses
     * (`seal_key_unknown`) when any stored secret is under a key the ring
     * does not hold, and opens the key-check value to prove the key right.
     */
    checkKeys(): SecretsStatus {
      if (!store.get(KEY_CHECK_NAME)) put(KEY_CHECK_NAME, generateSecret(32));
      const unreadable = store.notUnder(keyring.currentKeyId).filter((r) => !keyring.knows(r.keyId));
      if (unreadable.length > 0) throw unknownKeyError(unreadable);
      const check = store.get(KEY_CHECK_NAME)!;
      keyring.open(check.value, contextOf(KEY_CHECK_NAME));
      return status();
    },

    /**
     * Re-seals every value not under the current key, in one transaction:
     * all or none, and a second run finds nothing to do. A value no key of
     * the ring opens stops the rotation (nothing changes) unless
     * `forgetUnreadable`, which deletes it instead.
     */
    rotate(options: { forgetUnreadable?: boolean } = {}): RotateResult {
      return store.transaction(() => {
        const result: RotateResult = { keyId: keyring.currentKeyId, resealed: [], forgotten: [] };
        const unreadable: SealedSecretRow[] = [];
        for (const row of store.notUnder(keyring.currentKeyId)) {
          let plaintext: string;
          try {
            plaintext = keyring.open(row.value, contextOf(row.name));
          } catch (err) {
            if (!isAppError(err, 'seal_key_unknown') && !isAppError(err, 'seal_invalid')) throw err;
            if (!options.forgetUnreadable) {
              if (isAppError(err, 'seal_invalid'))
                throw new AppError('seal_invalid', `the stored secret ${row.name} does not open (altered?); nothing was rotated. ${err.message}`);
              unreadable.push(row);
              continue;
            }
            store.remove(row.name);
            result.forgotten.push(row.name);
            continue;
          }
          put(row.name, plaintext);
          result.resealed.push(row.name);
        }
        if (unreadable.length > 0) throw unknownKeyError(unreadable);
        return result;
      });
    },
  };
}

/** The stored-secrets service. */
export type SecretsService = ReturnType<typeof createSecretsService>;
