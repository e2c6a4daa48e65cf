import { and, asc, eq, sql } from 'drizzle-orm';
import type { Orm } from '../db/client.ts';
import { models } from '../db/schema/index.ts';
import type { CatalogModel } from './models.types.ts';

/** The model catalog: the only code touching its table. */
export function createModelsStore(orm: Orm) {
  // Every generation resolves its model: compiled once, not on each call.
  const byName = orm
    .select()
    .from(models)
    .where(eq(models.name, sql.placeholder('name')))
    .prepare();
  const defaultOf = orm
    .select()
    .from(models)
    .where(and(eq(models.kind, sql.placeholder('kind')), eq(models.isDefault, true)))
    .prepare();
  return {
    list: (): CatalogModel[] => orm.select().from(models).orderBy(asc(models.kind), asc(models.name)).all(),
    get: (name: string): CatalogModel | undefined => byName.get({ name }),
    defaultOf: (kind: CatalogModel['kind']): CatalogModel | undefined => defaultOf.get({ kind }),
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
