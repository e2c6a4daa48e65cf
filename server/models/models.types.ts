import type { models } from '../db/schema/index.ts';

/** A catalog entry. */
export type CatalogModel = typeof models.$inferSelect;
