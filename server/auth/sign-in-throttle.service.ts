import type { Clock } from '../kernel/clock.ts';
import { AppError } from '../kernel/errors.ts';
import type { ThrottleRow, ThrottleStore } from './sign-in-throttle.store.ts';

/** How one counter grows: failures allowed freely, then a wait that doubles up to a cap; counts restart after a window. */
export interface ThrottlePolicy {
  free: number;
  baseDelayMs: number;
  maxDelayMs: number;
  windowMs: number;
}

/** The sign-in throttle's rules (OWASP's guidance; PocketBase and Keygen count the same way). */
export const SIGN_IN_THROTTLE = {
  /** One account from one address: the counter that stops guessing. */
  pair: { free: 3, baseDelayMs: 5_000, maxDelayMs: 15 * 60_000, windowMs: 24 * 3_600_000 },
  /**
   * One address across accounts it never signed in from (password spraying): high, so a
   * colleague behind the same address cannot lock everyone out.
   */
  address: { free: 100, baseDelayMs: 5_000, maxDelayMs: 15 * 60_000, windowMs: 60 * 60_000 },
  /** How long a successful sign-in makes its (account, address) pair known: exempt from the address counter. */
  knownMs: 30 * 24 * 3_600_000,
} as const satisfies { pair: ThrottlePolicy; address: ThrottlePolicy; knownMs: number };

const PRUNE_EVERY_MS = 10 * 60_000;

/** Which counter holds an attempt back. */
export type ThrottleScope = 'account' | 'address';

/** The wait after `failures` failures: none for the free ones, then base × 2^(failures − free), capped. */
export function delayAfter(policy: ThrottlePolicy, failures: number): number {
  return failures < policy.free ? 0 : Math.min(policy.baseDelayMs * 2 ** (failures - policy.free), policy.maxDelayMs);
}

/** A sign-in attempt let through, already counted as a failure. */
export interface Attempt {
  account: string;
  address: string;
  /** Counters that reached their free limit with this attempt (for the audit, if it fails). */
  limitsReached: ThrottleScope[];
  /** The wait the next attempt of this pair faces if this one fails, in seconds (0: none). */
  nextWaitS: number;
  /** The address counter as this attempt found it and left it, so a success can give its failure back. */
  addressUndo: { counted: boolean; lockBefore: Date | null; lockSet: Date | null };
}

const keysOf = (account: string, address: string) => ({
  pair: `pair:${JSON.stringify([account, address])}`,
  known: `known:${JSON.stringify([account, address])}`,
  address: `address:${address}`,
});

const humanWait = (s: number) => (s < 120 ? `${s} s` : `${Math.ceil(s / 60)} min`);

function tooMany(scope: ThrottleScope, retryAfter: number): AppError {
  const message =
    scope === 'account'
      ? `too many failed sign-ins for this account from your address; try again in ${humanWait(retryAfter)}, or ask an admin for a reset link`
      : `too many failed sign-ins from your address; try again in ${humanWait(retryAfter)}`;
  return new AppError('too_many_attempts', message, { retryAfter, scope });
}

/**
 * Failed sign-ins counted per (account, address) pair, with a growing wait,
 * plus a high cap per address over the accounts it has never signed in
 * to. Nothing locks an account for everyone: an address that fails only
 * holds back itself. The counters live in SQLite (shared by processes,
 * kept over restarts); each attempt is counted before the password is
 * checked, in one transaction, so parallel guesses cannot slip past.
 */
export function createSignInThrottle(deps: { store: ThrottleStore; clock: Clock }) {
  const { store, clock } = deps;
  let prunedAt = 0;

  const waitS = (row: ThrottleRow | undefined, now: number) => {
    const until = row?.lockedUntil?.getTime() ?? 0;
    return until > now ? Math.ceil((until - now) / 1000) : 0;
  };

  const count = (key: string, row: ThrottleRow | undefined, policy: ThrottlePolicy, now: number): ThrottleRow => {
    const fresh = !row || now - row.windowStart.getTime() >= policy.windowMs;
    const failures = fresh ? 1 : row.failures + 1;
    const delay = delayAfter(policy, failures);
    const next = { key, failures, windowStart: fresh ? new Date(now) : row.windowStart, lockedUntil: delay > 0 ? new Date(now + delay) : null };
    store.put(next);
    return next;
  };

  const prune = (now: number) => {
    if (now - prunedAt < PRUNE_EVERY_MS) return;
    prunedAt = now;
    store.prune('pair:', new Date(now - SIGN_IN_THROTTLE.pair.windowMs), new Date(now));
    store.prune('address:', new Date(now - SIGN_IN_THROTTLE.address.windowMs), new Date(now));
    store.prune('known:', new Date(now - SIGN_IN_THROTTLE.knownMs), new Date(now));
    store.prune('account:', new Date(now), new Date(now)); // the earlier whole-account locks: read by nothing now
  };

  return {
    /** Lets an attempt through, counted as a failure, or throws `too_many_attempts` (with `retryAfter` seconds). */
    begin(account: string, address = 'unknown'): Attempt {
      const now = clock();
      const keys = keysOf(account, address);
      return store.transaction(() => {
        prune(now);
        const pair = store.get(keys.pair);
        const pairWait = waitS(pair, now);
        if (pairWait > 0) throw tooMany('account', pairWait);
        const known = store.get(keys.known);
        const counted = !known || now - known.windowStart.getTime() >= SIGN_IN_THROTTLE.knownMs;
        const addressRow = counted ? store.get(keys.address) : undefined;
        const addressWait = waitS(addressRow, now);
        if (addressWait > 0) throw tooMany('address', addressWait);
        const pairAfter = count(keys.pair, pair, SIGN_IN_THROTTLE.pair, now);
        const addressAfter = counted ? count(keys.address, addressRow, SIGN_IN_THROTTLE.address, now) : undefined;
        const limitsReached: ThrottleScope[] = [];
        if (pairAfter.failures === SIGN_IN_THROTTLE.pair.free) limitsReached.push('account');
        if (addressAfter?.failures === SIGN_IN_THROTTLE.address.free) limitsReached.push('address');
        return {
          account,
          address,
          limitsReached,
          nextWaitS: waitS(pairAfter, now),
          addressUndo: { counted, lockBefore: addressRow?.lockedUntil ?? null, lockSet: addressAfter?.lockedUntil ?? null },
        };
      });
    },

    /** The password was right: the pair starts afresh and becomes known, and the address gets its failure back. */
    succeeded(attempt: Attempt): void {
      const keys = keysOf(attempt.account, attempt.address);
      const { counted, lockBefore, lockSet } = attempt.addressUndo;
      store.transaction(() => {
        store.clear(keys.pair);
        store.put({ key: keys.known, failures: 0, windowStart: new Date(clock()), lockedUntil: null });
        const row = counted ? store.get(keys.address) : undefined;
        if (!row) return;
        if (row.failures <= 1) return store.clear(keys.address);
        // Only the wait this attempt set is taken back; a later failure's stays.
        const ours = row.lockedUntil?.getTime() === lockSet?.getTime();
        store.put({ ...row, failures: row.failures - 1, lockedUntil: ours ? lockBefore : row.lockedUntil });
      });
    },

    /** Lifts every wait on an account (after an operator reset), from every address. */
    unlock(account: string): void {
      store.clearPrefix(`pair:${JSON.stringify([account]).slice(0, -1)},`);
    },
  };
}

/** The sign-in throttle. */
export type SignInThrottle = ReturnType<typeof createSignInThrottle>;
