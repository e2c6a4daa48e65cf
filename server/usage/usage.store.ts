import { and, desc, eq, gte, sql } from 'drizzle-orm';
import type { Orm } from '../db/client.ts';
import { usage, userBudgets, users } from '../db/schema/index.ts';
import type { BudgetRow, UsageRow } from './usage.types.ts';

/** The usage ledger and budgets: the only code touching those tables. */
export function createUsageStore(orm: Orm) {
  const total = sql<number>`coalesce(sum(${usage.promptTokens} + ${usage.completionTokens}), 0)`;
  // Checked before every generation: compiled once, not on each call.
  const budget = orm
    .select()
    .from(userBudgets)
    .where(eq(userBudgets.userId, sql.placeholder('userId')))
    .prepare();
  return {
    /** Appends rows in one transaction: one commit (one disk sync) for all of them. */
    append: (rows: Array<typeof usage.$inferInsert>): void => {
      if (rows.length === 0) return;
      // One statement per few hundred rows (well under SQLite's bound-parameter limit), one commit.
      orm.transaction(() => {
        for (let i = 0; i < rows.length; i += 500)
          orm
            .insert(usage)
            .values(rows.slice(i, i + 500))
            .run();
      });
    },
    /** Tokens (in + out) a user spent since a time. */
    tokensSince: (userId: string, since: Date): number =>
      orm
        .select({ n: total })
        .from(usage)
        .where(and(eq(usage.userId, userId), gte(usage.at, since)))
        .get()?.n ?? 0,
    /** Totals per user and model since a time, largest first. */
    summary: (since: Date) =>
      orm
        .select({
          userId: usage.userId,
          email: users.email,
          model: usage.model,
          requests: sql<number>`count(*)`,
          promptTokens: sql<number>`sum(${usage.promptTokens})`,
          completionTokens: sql<number>`sum(${usage.completionTokens})`,
          failed: sql<number>`sum(${usage.outcome} <> 'ok')`,
        })
        .from(usage)
        .innerJoin(users, eq(users.id, usage.userId))
        .where(gte(usage.at, since))
        .groupBy(usage.userId, usage.model)
        .orderBy(desc(total))
        .all(),
    recent: (limit: number, userId?: string): UsageRow[] =>
      orm
        .select()
        .from(usage)
        .where(userId ? eq(usage.userId, userId) : undefined)
        .orderBy(desc(usage.id))
        .limit(limit)
        .all(),
    budget: (userId: string): BudgetRow | undefined => budget.get({ userId }),
    /** Sets a user's budgets; false when there is no such user (the foreign key refuses the row). */
    setBudget: (row: BudgetRow): boolean => {
      try {
        orm.insert(userBudgets).values(row).onConflictDoUpdate({ target: userBudgets.userId, set: row }).run();
        return true;
      } catch (err) {
        // drizzle wraps the driver's error; the SQLite code is on a cause.
        for (let e = err as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e)
          if (e.code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return false;
        throw err;
      }
    },
  };
}

/** The usage store. */
export type UsageStore = ReturnType<typeof createUsageStore>;
