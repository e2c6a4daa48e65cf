import { desc, eq } from 'drizzle-orm';
import type { Orm } from '../db/client.ts';
import { appMeta, licenses } from '../db/schema/index.ts';
import type { LicenseRow } from './license.types.ts';

/** Licenses and the installation facts in app_meta: the only code touching them. */
export function createLicenseStore(orm: Orm) {
  const meta = (key: string): string | undefined => orm.select().from(appMeta).where(eq(appMeta.key, key)).get()?.value;
  const setMeta = (key: string, value: string) =>
    orm
      .insert(appMeta)
      .values({ key, value, updatedAt: new Date() })
      .onConflictDoUpdate({ target: appMeta.key, set: { value, updatedAt: new Date() } })
      .run();
  // Read by the license gate on every write request: compiled once, not on each call.
  const current = orm.select().from(licenses).orderBy(desc(licenses.id)).limit(1).prepare();
  return {
    meta,
    setMeta,
    /** Inserts a meta value only if absent; returns the value now stored. */
    initMeta(key: string, value: string): string {
      orm.insert(appMeta).values({ key, value, updatedAt: new Date() }).onConflictDoNothing().run();
      return meta(key)!;
    },
    current: (): LicenseRow | undefined => current.get(),
    history: (): LicenseRow[] => orm.select().from(licenses).orderBy(desc(licenses.id)).all(),
    insert: (row: typeof licenses.$inferInsert): LicenseRow => orm.insert(licenses).values(row).returning().get(),
  };
}

/** The license store. */
export type LicenseStore = ReturnType<typeof createLicenseStore>;
