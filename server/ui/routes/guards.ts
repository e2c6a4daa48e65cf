import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../http/types.ts';

/** Pages for signed-in users: others are sent to the sign-in page and back. */
export const pageUser: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!c.get('caller')) return c.redirect(`/login?next=${encodeURIComponent(c.req.path)}`, 303);
  return next();
};

/** Pages for admins: others get a 403 page. */
export const pageAdmin: MiddlewareHandler<AppEnv> = async (c, next) => {
  const caller = c.get('caller');
  if (!caller) return c.redirect(`/login?next=${encodeURIComponent(c.req.path)}`, 303);
  if (caller.user.role !== 'admin') return c.text('This page needs an admin.', 403);
  return next();
};
