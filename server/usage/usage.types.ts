import type { usage, userBudgets } from '../db/schema/index.ts';

/** One ledger row. */
export type UsageRow = typeof usage.$inferSelect;

/** A user's budget override. */
export type BudgetRow = typeof userBudgets.$inferSelect;
