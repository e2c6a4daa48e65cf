import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from '../http/types.ts';
import { forbiddenPage } from './error.page.tsx';
import { safeNext } from './safe-next.ts';

// Back to this page after signing in; the target goes through the same check as any other `next`.
const toLogin = (c: Context<AppEnv>) => {
  const url = new URL(c.req.url);
  return c.redirect(`/login?next=${encodeURIComponent(safeNext(`${url.pathname}${url.search}`))}`, 303);
};

/** Pages for signed-in users: others are sent to the sign-in page and back. */
export const pageUser: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!c.get('caller')) return toLogin(c);
  return next();
};

/** Pages for admins: others get a 403 page. */
export const pageAdmin: MiddlewareHandler<AppEnv> = async (c, next) => {
  const caller = c.get('caller');
  if (!caller) return toLogin(c);
  if (caller.user.role !== 'admin') return forbiddenPage(c);
  return next();
};
