import { asc, eq, ne, sql } from 'drizzle-orm';
import type { Orm } from '../db/client.ts';
import { sealedSecrets } from '../db/schema/index.ts';

/** A stored secret as sealed (never the plaintext). */
export type SealedSecretRow = typeof sealedSecrets.$inferSelect;

/** The sealed_secrets table: the only code touching it. */
export function createSealedSecretsStore(orm: Orm) {
  return {
    get: (name: string): SealedSecretRow | undefined => orm.select().from(sealedSecrets).where(eq(sealedSecrets.name, name)).get(),
    /** Inserts or replaces one sealed value. */
    put(name: string, value: string, keyId: string, at: Date): void {
      orm
        .insert(sealedSecrets)
        .values({ name, value, keyId, createdAt: at, updatedAt: at })
        .onConflictDoUpdate({ target: sealedSecrets.name, set: { value, keyId, updatedAt: at } })
        .run();
    },
    /** Removes one; true when it was there. */
    remove: (name: string): boolean => orm.delete(sealedSecrets).where(eq(sealedSecrets.name, name)).run().changes > 0,
    /** Every value not sealed under `keyId`, by name. */
    notUnder: (keyId: string): SealedSecretRow[] =>
      orm.select().from(sealedSecrets).where(ne(sealedSecrets.keyId, keyId)).orderBy(asc(sealedSecrets.name)).all(),
    /** How many values each key id sealed. */
    countByKey: (): Array<{ keyId: string; n: number }> =>
      orm
        .select({ keyId: sealedSecrets.keyId, n: sql<number>`count(*)` })
        .from(sealedSecrets)
        .groupBy(sealedSecrets.keyId)
        .all(),
    transaction: <T>(fn: () => T): T => orm.transaction(() => fn(), { behavior: 'immediate' }),
  };
}

/** The sealed-secrets store. */
export type SealedSecretsStore = ReturnType<typeof createSealedSecretsStore>;
