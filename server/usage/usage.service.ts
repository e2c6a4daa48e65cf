import type { Actor, AuditService } from '../audit/audit.service.ts';
import type { Clock } from '../kernel/clock.ts';
import { AppError } from '../kernel/errors.ts';
import type { UsageStore } from './usage.store.ts';
import type { UsageRow } from './usage.types.ts';

/** One request to record in the ledger. */
export type UsageEntry = Omit<UsageRow, 'id' | 'at'>;

/** Start of the current UTC day and month: budgets reset at midnight UTC. */
export function budgetWindows(now: number): { day: Date; month: Date } {
  const d = new Date(now);
  return { day: new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())), month: new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)) };
}

/**
 * The usage ledger (one row per model request: who, which model and miner,
 * tokens in and out, duration, outcome) and the token budgets it enforces.
 * A user's own budget overrides the most generous of their groups' budgets,
 * which overrides the configured default; 0 means unlimited.
 */
/** Budgets a user's groups set (the groups feature); null: that group sets none. */
export interface GroupBudgets {
  budgetsOf(userId: string): Array<{ daily: number | null; monthly: number | null }>;
}

// The most generous of several budgets: 0 is unlimited, else the largest.
const generous = (values: number[]): number | undefined => (values.length === 0 ? undefined : values.includes(0) ? 0 : Math.max(...values));

export function createUsageService(deps: {
  store: UsageStore;
  audit: AuditService;
  clock: Clock;
  defaults: { daily: number; monthly: number };
  groups?: GroupBudgets | undefined;
}) {
  const { store, clock } = deps;
  // Rows recorded in one turn of the event loop are committed together on the next: when fifty
  // streams end at once that is one disk sync instead of fifty, each of which would block the
  // loop (and every other stream's last tokens) for a fraction of a millisecond. Every read of
  // the ledger writes what is pending first, so budgets and reports never miss a request.
  let pending: Array<UsageEntry & { at: Date }> = [];
  let scheduled: NodeJS.Immediate | undefined;
  function flush(): void {
    if (scheduled) clearImmediate(scheduled);
    scheduled = undefined;
    const rows = pending;
    pending = [];
    store.append(rows);
  }

  // A user's own override, else the most generous of their groups' budgets, else the default.
  function limits(userId: string) {
    const own = store.budget(userId);
    const fromGroups = deps.groups?.budgetsOf(userId) ?? [];
    const group = (k: 'daily' | 'monthly') => generous(fromGroups.flatMap((b) => (b[k] === null ? [] : [b[k]])));
    return {
      daily: own?.daily ?? group('daily') ?? deps.defaults.daily,
      monthly: own?.monthly ?? group('monthly') ?? deps.defaults.monthly,
    };
  }

  return {
    record(entry: UsageEntry): void {
      pending.push({ ...entry, at: new Date(clock()) });
      scheduled ??= setImmediate(flush);
    },

    /** Writes what is recorded but not yet committed (reads do it themselves; shutdown calls it). */
    flush,

    /** Spent and allowed tokens for today and this month (UTC). */
    status(userId: string) {
      flush();
      const w = budgetWindows(clock());
      const l = limits(userId);
      return { daily: { used: store.tokensSince(userId, w.day), limit: l.daily }, monthly: { used: store.tokensSince(userId, w.month), limit: l.monthly } };
    },

    /** Throws `budget_exceeded` (402) when the user has spent a budget; checked before each request. */
    assertWithinBudget(userId: string): void {
      const l = limits(userId);
      if (l.daily === 0 && l.monthly === 0) return; // no budget: skip summing the ledger on every request
      const s = this.status(userId);
      if (s.daily.limit > 0 && s.daily.used >= s.daily.limit) {
        throw new AppError('budget_exceeded', `daily token budget used up (${s.daily.used} of ${s.daily.limit}); it resets at midnight UTC`, {
          window: 'daily',
          used: s.daily.used,
          limit: s.daily.limit,
        });
      }
      if (s.monthly.limit > 0 && s.monthly.used >= s.monthly.limit) {
        throw new AppError('budget_exceeded', `monthly token budget used up (${s.monthly.used} of ${s.monthly.limit}); it resets on the 1st (UTC)`, {
          window: 'monthly',
          used: s.monthly.used,
          limit: s.monthly.limit,
        });
      }
    },

    /** Sets a user's own budgets (null: back to the default). */
    setBudget(actor: Actor, userId: string, budget: { daily: number | null; monthly: number | null }): void {
      if (!store.setBudget({ userId, daily: budget.daily, monthly: budget.monthly, updatedAt: new Date(clock()) }))
        throw new AppError('not_found', 'no such user');
      deps.audit.record({ actor, action: 'usage.budget.set', target: userId, details: budget });
    },

    /** Totals per user and model over the last `days` days. */
    summary: (days: number) => {
      flush();
      return store.summary(new Date(clock() - days * 86_400_000));
    },
    recent: (limit: number, userId?: string) => {
      flush();
      return store.recent(limit, userId);
    },
  };
}

/** The usage service. */
export type UsageService = ReturnType<typeof createUsageService>;
