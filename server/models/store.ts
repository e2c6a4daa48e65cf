import { and, asc, eq } from 'drizzle-orm';
import type { Orm } from '../db/client.ts';
import { models } from '../db/schema/index.ts';

/** A catalog entry. */
export type CatalogModel = typeof models.$inferSelect;

/** The model catalog: the only code touching its table. */
export function createModelsStore(orm: Orm) {
  return {
    list: (): CatalogModel[] => orm.select().from(models).orderBy(asc(models.kind), asc(models.name)).all(),
    get: (name: string): CatalogModel | undefined => orm.select().from(models).where(eq(models.name, name)).get(),
    defaultOf: (kind: CatalogModel['kind']): CatalogModel | undefined =>
      orm.select().from(models).where(and(eq(models.kind, kind), eq(models.isDefault, true))).get(),
    upsert: (row: typeof models.$inferInsert): CatalogModel =>
      orm
        .insert(models)
        .values(row)
        .onConflictDoUpdate({ target: models.name, set: { ...row, createdAt: undefined } })
        .returning()
        .get(),
    clearDefault: (kind: CatalogModel['kind']): void => {
      orm.update(models).set({ isDefault: false }).where(eq(models.kind, kind)).run();
    },
    remove: (name: string): boolean => orm.delete(models).where(eq(models.name, name)).run().changes > 0,
    transaction: <T>(fn: () => T): T => orm.transaction(() => fn(), { behavior: 'immediate' }),
  };
}

/** The models store. */
export type ModelsStore = ReturnType<typeof createModelsStore>;
