/** @jsxImportSource hono/jsx */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { describeReset } from './account.service.ts';
import type { Identity } from './identity.service.ts';
import { actorOf, callerOf } from '../http/middleware/guards.ts';
import { email, name, role } from './identity.schemas.ts';
import type { AppEnv } from '../http/types.ts';
import { UsersPage } from './users.page.tsx';
import { formAction, parseForm } from '../ui/forms.ts';
import { pageAdmin } from '../ui/guards.ts';

const createForm = z.object({
  name,
  email,
  role: role.default('user'),
  password: z
    .string()
    .max(256)
    .optional()
    .transform((p) => (p ? p : undefined)),
});
const updateForm = z.object({ role: role.optional(), status: z.enum(['active', 'deactivated']).optional() });

type UsersExtra = { error?: string; info?: string; link?: { label: string; url: string } };

/** `/admin/users`: accounts, invites and reset links (admins only). */
export function usersPages(identity: Identity) {
  const users = (c: Context<AppEnv>, extra: UsersExtra = {}, status = 200) =>
    c.html(<UsersPage caller={callerOf(c)} users={identity.users.list()} {...extra} />, status as 200);
  const attempt = formAction<Pick<UsersExtra, 'link'>>(users);

  return new Hono<AppEnv>()
    .use(pageAdmin)
    .get('/', (c) => users(c))
    .post('/', (c) =>
      attempt(c, async () => {
        const form = parseForm(createForm, await c.req.parseBody());
        const { user, inviteUrl } = await identity.users.create(form, actorOf(callerOf(c)), c.get('ip'));
        return inviteUrl
          ? { link: { label: `Invite link for ${user.email} (valid 72 hours, works once):`, url: inviteUrl } }
          : { info: `Added ${user.email}.` };
      }),
    )
    .post('/:id', (c) =>
      attempt(c, async () => {
        const form = parseForm(updateForm, await c.req.parseBody());
        const user = identity.users.update(c.req.param('id'), form, actorOf(callerOf(c)), c.get('ip'));
        return { info: `Updated ${user.email}: ${user.role}, ${user.status}.` };
      }),
    )
    .post('/:id/mfa/reset', (c) =>
      attempt(c, () => {
        const { sessionsRevoked } = identity.mfa.reset(c.req.param('id'), actorOf(callerOf(c)), c.get('ip'));
        const user = identity.users.get(c.req.param('id'));
        return { info: `Two-step sign-in of ${user.email} removed; ${sessionsRevoked} session(s) signed out. They set it up again at the next sign-in.` };
      }),
    )
    .post('/:id/reset-link', (c) =>
      attempt(c, () => {
        const link = identity.users.resetLink(c.req.param('id'), actorOf(callerOf(c)), c.get('ip'));
        const user = identity.users.get(c.req.param('id'));
        return {
          link: {
            label: `Password reset link for ${user.email} (valid 1 hour, works once). ${describeReset(identity.keys.activeCount(user.id))}`,
            url: link.url,
          },
        };
      }),
    );
}
