import { and, count, eq, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import type { Orm } from '../db/client.ts';
import { mfaRecoveryCodes, userMfa } from '../db/schema/index.ts';
import type { MfaFactor } from './mfa.types.ts';

/** TOTP factors and recovery codes: the only code touching those tables. */
export function createMfaStore(orm: Orm) {
  // Read on every request of a session the policy covers: compiled once.
  const confirmed = orm
    .select({ userId: userMfa.userId })
    .from(userMfa)
    .where(and(eq(userMfa.userId, sql.placeholder('id')), isNotNull(userMfa.confirmedAt)))
    .prepare();
  return {
    factor: (userId: string): MfaFactor | undefined => orm.select().from(userMfa).where(eq(userMfa.userId, userId)).get(),
    /** True when the user has a confirmed factor. */
    isConfirmed: (userId: string): boolean => confirmed.get({ id: userId }) !== undefined,
    /** The ids of every user with a confirmed factor (for the admin list). */
    confirmedUserIds: (): Set<string> =>
      new Set(
        orm
          .select({ userId: userMfa.userId })
          .from(userMfa)
          .where(isNotNull(userMfa.confirmedAt))
          .all()
          .map((r) => r.userId),
      ),
    /** Starts (or restarts) an unconfirmed enrolment. */
    putPending: (userId: string, at: Date): void => {
      orm
        .insert(userMfa)
        .values({ userId, createdAt: at, confirmedAt: null, lastStep: null })
        .onConflictDoUpdate({ target: userMfa.userId, set: { createdAt: at, confirmedAt: null, lastStep: null } })
        .run();
    },
    confirm: (userId: string, at: Date, step: number): void => {
      orm.update(userMfa).set({ confirmedAt: at, lastStep: step }).where(eq(userMfa.userId, userId)).run();
    },
    /**
     * Records `step` as the last one used, only when it is later than the one
     * stored: false means the step (or a later one) was already used, so a
     * code is accepted once even by two concurrent sign-ins.
     */
    advanceStep: (userId: string, step: number): boolean =>
      orm
        .update(userMfa)
        .set({ lastStep: step })
        .where(and(eq(userMfa.userId, userId), or(isNull(userMfa.lastStep), lt(userMfa.lastStep, step))))
        .run().changes === 1,
    removeFactor: (userId: string): boolean => orm.delete(userMfa).where(eq(userMfa.userId, userId)).run().changes > 0,
    replaceRecoveryCodes: (userId: string, rows: Array<{ id: string; codeHash: string }>, at: Date): void => {
      orm.delete(mfaRecoveryCodes).where(eq(mfaRecoveryCodes.userId, userId)).run();
      if (rows.length)
        orm
          .insert(mfaRecoveryCodes)
          .values(rows.map((r) => ({ ...r, userId, createdAt: at })))
          .run();
    },
    /** Uses an unused recovery code by its hash; false when there is none. */
    useRecoveryCode: (userId: string, codeHash: string, at: Date): boolean =>
      orm
        .update(mfaRecoveryCodes)
        .set({ usedAt: at })
        .where(and(eq(mfaRecoveryCodes.userId, userId), eq(mfaRecoveryCodes.codeHash, codeHash), isNull(mfaRecoveryCodes.usedAt)))
        .run().changes === 1,
    recoveryCodesLeft: (userId: string): number =>
      orm
        .select({ n: count() })
        .from(mfaRecoveryCodes)
        .where(and(eq(mfaRecoveryCodes.userId, userId), isNull(mfaRecoveryCodes.usedAt)))
        .get()!.n,
    removeRecoveryCodes: (userId: string): number => orm.delete(mfaRecoveryCodes).where(eq(mfaRecoveryCodes.userId, userId)).run().changes,
    /** Runs `fn` in one immediate (write-locking) transaction. */
    transaction: <T>(fn: () => T): T => orm.transaction(() => fn(), { behavior: 'immediate' }),
  };
}

/** The MFA store. */
export type MfaStore = ReturnType<typeof createMfaStore>;
