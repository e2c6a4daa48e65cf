import { Hono } from 'hono';
import { csvText } from '../kernel/csv.ts';
import type { UsageService } from './usage.service.ts';
import { budgetBody, usageQuery } from './usage.schemas.ts';
import { actorOf, callerOf, requireAdmin, requireUser } from '../http/middleware/guards.ts';
import type { AppEnv } from '../http/types.ts';
import { jsonBody, queryParams } from '../http/validate.ts';

const CSV_COLUMNS = ['user_id', 'email', 'model', 'requests', 'prompt_tokens', 'completion_tokens', 'failed'];

/** `/api/usage`: the caller's own budget status; totals per user and model and budgets for admins. */
export function usageRoutes(usage: UsageService) {
  const admin = new Hono<AppEnv>()
    .use(requireAdmin)
    .get('/', (c) => {
      const q = queryParams(c, usageQuery);
      const rows = usage.summary(q.days);
      if (q.format === 'csv') {
        const csv = csvText(
          CSV_COLUMNS,
          rows.map((r) => [r.userId, r.email, r.model, r.requests, r.promptTokens, r.completionTokens, r.failed]),
        );
        return c.body(csv, 200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="usage.csv"' });
      }
      return c.json({ days: q.days, totals: rows });
    })
    .put('/budgets/:userId', async (c) => {
      usage.setBudget(actorOf(callerOf(c)), c.req.param('userId'), await jsonBody(c, budgetBody));
      return c.json(usage.status(c.req.param('userId')));
    });
  return new Hono<AppEnv>().get('/me', requireUser, (c) => c.json(usage.status(callerOf(c).user.id))).route('/', admin);
}
