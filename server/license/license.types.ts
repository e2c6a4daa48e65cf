import type { licenses } from '../db/schema/index.ts';

/** An installed activation code. */
export type LicenseRow = typeof licenses.$inferSelect;
