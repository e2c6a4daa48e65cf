/** @jsxImportSource hono/jsx */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { Identity } from '../auth/identity.service.ts';
import { actorOf, callerOf } from '../http/middleware/guards.ts';
import type { AppEnv } from '../http/types.ts';
import type { UsageService } from './usage.service.ts';
import type { GroupsService } from '../groups/groups.service.ts';
import { USAGE_PERIODS, UsagePage } from './usage.page.tsx';
import { formAction, optionalNumber, parseForm, type FormOutcome } from '../ui/forms.ts';
import { pageAdmin } from '../ui/guards.ts';

const budget = z.preprocess((v) => optionalNumber(v) ?? null, z.number().int().min(0).nullable());
const budgetForm = z.object({ daily: budget, monthly: budget });

/** Dependencies of the usage page. */
export interface UsagePagesDeps {
  usage: UsageService;
  identity: Identity;
  groups: GroupsService;
}

function periodOf(c: Context<AppEnv>): number {
  const d = Number(c.req.query('days'));
  return (USAGE_PERIODS as readonly number[]).includes(d) ? d : 30;
}

/** `/admin/usage`: totals per user and model for 7/30/90 days, and per-user budgets. */
export function usagePages(deps: UsagePagesDeps) {
  const render = (c: Context<AppEnv>, outcome: FormOutcome<object> = {}, status = 200) => {
    const days = periodOf(c);
    const users = deps.identity.users.list().map((user) => ({ user, status: deps.usage.status(user.id) }));
    const groups = deps.groups.list().map((g) => ({
      name: g.name,
      userIds: g.kind === 'everyone' ? ('all' as const) : new Set(deps.groups.members(g.id).map((m) => m.userId)),
    }));
    return c.html(<UsagePage caller={callerOf(c)} days={days} lines={deps.usage.summary(days)} users={users} groups={groups} {...outcome} />, status as 200);
  };
  const attempt = formAction<object>(render);

  return new Hono<AppEnv>()
    .use(pageAdmin)
    .get('/', (c) => render(c))
    .post('/budgets/:userId', (c) =>
      attempt(c, async () => {
        const user = deps.identity.users.get(c.req.param('userId'));
        const form = parseForm(budgetForm, await c.req.parseBody());
        deps.usage.setBudget(actorOf(callerOf(c)), user.id, form);
        const say = (v: number | null) => (v === null ? 'default' : v === 0 ? 'unlimited' : String(v));
        return { info: `Budgets of ${user.email}: daily ${say(form.daily)}, monthly ${say(form.monthly)}.` };
      }),
    );
}
