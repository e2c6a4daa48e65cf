/** @jsxImportSource hono/jsx */
import type { UserView } from '../auth/identity.views.ts';
import type { Caller } from '../http/types.ts';
import type { UsageService } from './usage.service.ts';
import { Notice } from '../ui/components.tsx';
import { CsrfField, Layout } from '../ui/layout.tsx';

/** One line of the usage summary (per user and model). */
export type UsageLine = ReturnType<UsageService['summary']>[number];
/** A user's spent and allowed tokens today and this month. */
export type BudgetStatus = ReturnType<UsageService['status']>;

/** Props of {@link UsagePage}. */
export interface UsagePageProps {
  caller: Caller;
  days: number;
  lines: UsageLine[];
  users: Array<{ user: UserView; status: BudgetStatus }>;
  /** Each group's members today (Everyone: every user), to total their usage by group. */
  groups: Array<{ name: string; userIds: Set<string> | 'all' }>;
  error?: string | undefined;
  info?: string | undefined;
}

/** The periods the page offers. */
export const USAGE_PERIODS = [7, 30, 90] as const;

const n = (v: number) => v.toLocaleString('en-US');
const limit = (l: number) => (l > 0 ? n(l) : 'unlimited');

function totalsBy(lines: UsageLine[], key: (l: UsageLine) => string) {
  const out = new Map<string, { requests: number; tokensIn: number; tokensOut: number }>();
  for (const l of lines) {
    const t = out.get(key(l)) ?? { requests: 0, tokensIn: 0, tokensOut: 0 };
    t.requests += l.requests;
    t.tokensIn += l.promptTokens ?? 0;
    t.tokensOut += l.completionTokens ?? 0;
    out.set(key(l), t);
  }
  return [...out.entries()].sort((a, b) => b[1].tokensIn + b[1].tokensOut - (a[1].tokensIn + a[1].tokensOut));
}

function Totals({ title, rows, testid }: { title: string; rows: ReturnType<typeof totalsBy>; testid: string }) {
  return (
    <table data-testid={testid}>
      <thead>
        <tr>
          <th>{title}</th>
          <th>Requests</th>
          <th>Tokens in</th>
          <th>Tokens out</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([name, t]) => (
          <tr>
            <td>{name}</td>
            <td>{n(t.requests)}</td>
            <td>{n(t.tokensIn)}</td>
            <td>{n(t.tokensOut)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Admin: token usage per user and model over a period, CSV export, and per-user budgets. */
export function UsagePage({ caller, days, lines, users, groups, error, info }: UsagePageProps) {
  // A user in several groups counts in each: these are the groups' totals, not shares of one sum.
  const byGroup = groups
    .map(
      (g) =>
        [
          g.name,
          totalsBy(
            lines.filter((l) => g.userIds === 'all' || g.userIds.has(l.userId)),
            () => g.name,
          )[0]?.[1] ?? { requests: 0, tokensIn: 0, tokensOut: 0 },
        ] as const,
    )
    .sort((a, b) => b[1].tokensIn + b[1].tokensOut - (a[1].tokensIn + a[1].tokensOut));
  return (
    <Layout title="Usage" caller={caller}>
      <Notice error={error} info={info} />
      <section class="card">
        <h1>Usage, last {days} days</h1>
        <p class="row">
          {USAGE_PERIODS.map((d) => (d === days ? <strong>{d} days</strong> : <a href={`/admin/usage?days=${d}`}>{d} days</a>))}
          <span class="grow"></span>
          <a href={`/api/usage?days=${days}&format=csv`} data-testid="usage-csv" download="usage.csv">
            Download CSV
          </a>
        </p>
        {lines.length === 0 ? <p class="muted">No model requests in this period.</p> : null}
        <h2>Per user</h2>
        <Totals title="User" rows={totalsBy(lines, (l) => l.email)} testid="usage-users" />
        <h2>Per group</h2>
        <Totals title="Group" rows={byGroup as ReturnType<typeof totalsBy>} testid="usage-by-group" />
        <h2>Per model</h2>
        <Totals title="Model" rows={totalsBy(lines, (l) => l.model)} testid="usage-models" />
        <h2>Per user and model</h2>
        <table data-testid="usage-lines">
          <thead>
            <tr>
              <th>User</th>
              <th>Model</th>
              <th>Requests</th>
              <th>Tokens in</th>
              <th>Tokens out</th>
              <th>Failed</th>
            </tr>
          </thead>
          <tbody>
            {lines.map((l) => (
              <tr>
                <td>{l.email}</td>
                <td>{l.model}</td>
                <td>{n(l.requests)}</td>
                <td>{n(l.promptTokens ?? 0)}</td>
                <td>{n(l.completionTokens ?? 0)}</td>
                <td>{n(l.failed ?? 0)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section class="card">
        <h2>Token budgets</h2>
        <p class="muted">Tokens in and out per user; days and months are counted in UTC. Leave a field empty for the configured default; 0 means unlimited.</p>
        <table data-testid="budgets">
          <thead>
            <tr>
              <th>User</th>
              <th>Today</th>
              <th>This month</th>
              <th>Set budgets (daily, monthly)</th>
            </tr>
          </thead>
          <tbody>
            {users.map(({ user, status }) => (
              <tr data-email={user.email}>
                <td>{user.email}</td>
                <td>
                  {n(status.daily.used)} of {limit(status.daily.limit)}
                </td>
                <td>
                  {n(status.monthly.used)} of {limit(status.monthly.limit)}
                </td>
                <td>
                  <form method="post" action={`/admin/usage/budgets/${user.id}?days=${days}`} class="row" data-testid="budget-form">
                    <CsrfField caller={caller} />
                    <input type="number" name="daily" min={0} placeholder="default" aria-label={`Daily budget of ${user.email}`} class="num" />
                    <input type="number" name="monthly" min={0} placeholder="default" aria-label={`Monthly budget of ${user.email}`} class="num" />
                    <button type="submit" class="secondary">
                      Save
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </Layout>
  );
}
