/** @jsxImportSource hono/jsx */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { describeReplaced } from './account.service.ts';
import type { Identity } from './identity.service.ts';
import { setRetryAfter, statusOf } from '../http/errors.ts';
import { callerOf, requireSession } from '../http/middleware/guards.ts';
import type { AppEnv } from '../http/types.ts';
import { isAppError } from '../kernel/errors.ts';
import { ProfilePage } from './account.page.tsx';
import { pageUser } from '../ui/guards.ts';

const passwordForm = z.object({ currentPassword: z.string().max(256).default(''), newPassword: z.string().max(256).default('') });
const keyForm = z.object({ name: z.string().trim().min(1, 'give the key a name').max(100) });

/** The profile page and its forms: password, sessions, API keys. */
export function accountPages(identity: Identity) {
  const render = (c: Context<AppEnv>, extra: { error?: string; info?: string; newKey?: string } = {}, status: 200 | 400 | 401 | 404 | 409 = 200) => {
    const caller = callerOf(c);
    return c.html(
      <ProfilePage
        caller={caller}
        sessions={identity.sessions.list(caller.user.id)}
        keys={identity.keys.list(caller.user.id)}
        keysAllowed={identity.keys.allowed(caller.user.id)}
        {...extra}
      />,
      status,
    );
  };
  const attempt = async (c: Context<AppEnv>, action: () => Promise<{ info?: string; newKey?: string }> | { info?: string; newKey?: string }) => {
    try {
      return render(c, await action());
    } catch (err) {
      if (!isAppError(err)) throw err;
      setRetryAfter(c, err);
      return render(c, { error: err.message }, statusOf(err.code) as 400);
    }
  };

  return (
    new Hono<AppEnv>()
      .use(pageUser)
      // Password, sessions and keys are managed from a browser session, never with an API key.
      .use(requireSession)
      .get('/', (c) => render(c))
      .post('/password', (c) =>
        attempt(c, async () => {
          const caller = callerOf(c);
          const form = passwordForm.parse(await c.req.parseBody());
          const replaced = await identity.account.changePassword(
            caller.user,
            form.currentPassword,
            form.newPassword,
            caller.via === 'session' ? caller.session.id : undefined,
            c.get('ip'),
          );
          return { info: `Password changed: ${describeReplaced(replaced)}` };
        }),
      )
      .post('/sessions/:id/revoke', (c) =>
        attempt(c, () => {
          const caller = callerOf(c);
          identity.sessions.revoke(c.req.param('id'), caller.user.id);
          identity.audit.record({
            actor: { id: caller.user.id, label: caller.user.email },
            action: 'session.revoke',
            target: c.req.param('id'),
            ip: c.get('ip'),
          });
          return { info: 'Session revoked.' };
        }),
      )
      .post('/keys', (c) =>
        attempt(c, async () => {
          const r = keyForm.safeParse(await c.req.parseBody());
          if (!r.success) return { info: 'Give the key a name.' };
          c.header('cache-control', 'no-store');
          return { newKey: identity.keys.create(callerOf(c).user, r.data.name, c.get('ip')).key };
        }),
      )
      .post('/keys/:id/revoke', (c) =>
        attempt(c, () => {
          identity.keys.revoke(callerOf(c).user, c.req.param('id'), c.get('ip'));
          return { info: 'Key revoked.' };
        }),
      )
  );
}
