import { and, desc, eq, gt, isNull, ne, sql } from 'drizzle-orm';
import type { Orm } from '../db/client.ts';
import { minerRegistrationTokens, miners } from '../db/schema/index.ts';
import type { MinerRow, RegistrationTokenRow } from './miners.types.ts';

/** Miners and their registration tokens: the only code touching those tables. */
export function createMinersStore(orm: Orm) {
  return {
    insert: (row: typeof miners.$inferInsert): MinerRow => orm.insert(miners).values(row).returning().get(),
    byId: (id: string): MinerRow | undefined => orm.select().from(miners).where(eq(miners.id, id)).get(),
    byTokenHash: (hash: string): MinerRow | undefined => orm.select().from(miners).where(eq(miners.tokenHash, hash)).get(),
    /** The live (not revoked) miner enrolled by secret under a worker name, if any. */
    bySecretWorker: (workerId: string): MinerRow | undefined =>
      orm
        .select()
        .from(miners)
        .where(and(eq(miners.workerId, workerId), eq(miners.enrolledVia, 'secret'), ne(miners.status, 'revoked')))
        .get(),
    /** The first miner ever enrolled by secret, whatever its status now: the bundled one, whose worker id the secret is bound to. */
    bundled: (): MinerRow | undefined =>
      orm
        .select()
        .from(miners)
        .where(eq(miners.enrolledVia, 'secret'))
        .orderBy(sql`rowid`)
        .limit(1)
        .get(),
    list: (): MinerRow[] => orm.select().from(miners).where(ne(miners.status, 'revoked')).orderBy(desc(miners.createdAt)).all(),
    update: (id: string, set: Partial<typeof miners.$inferInsert>): MinerRow | undefined =>
      orm.update(miners).set(set).where(eq(miners.id, id)).returning().get(),
    countPairingFailure: (id: string): number =>
      orm
        .update(miners)
        .set({ pairingFailures: sql`${miners.pairingFailures} + 1` })
        .where(eq(miners.id, id))
        .returning({ n: miners.pairingFailures })
        .get()?.n ?? 0,
    insertToken: (row: typeof minerRegistrationTokens.$inferInsert): RegistrationTokenRow => orm.insert(minerRegistrationTokens).values(row).returning().get(),
    /** Marks an unused, unexpired token used; undefined when there is none (the check and the use are one statement). */
    useToken: (hash: string, at: Date, minerId: string): RegistrationTokenRow | undefined =>
      orm
        .update(minerRegistrationTokens)
        .set({ usedAt: at, minerId })
        .where(and(eq(minerRegistrationTokens.tokenHash, hash), isNull(minerRegistrationTokens.usedAt), gt(minerRegistrationTokens.expiresAt, at)))
        .returning()
        .get(),
    tokens: (): RegistrationTokenRow[] => orm.select().from(minerRegistrationTokens).orderBy(desc(minerRegistrationTokens.createdAt)).limit(50).all(),
    transaction: <T>(fn: () => T): T => orm.transaction(() => fn(), { behavior: 'immediate' }),
  };
}

/** The miners store. */
export type MinersStore = ReturnType<typeof createMinersStore>;
