/** @jsxImportSource hono/jsx */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { actorOf, callerOf } from '../http/middleware/guards.ts';
import type { AppEnv } from '../http/types.ts';
import { formAction, parseForm } from '../ui/forms.ts';
import { pageAdmin } from '../ui/guards.ts';
import { linkIdentityBody } from './identity.schemas.ts';
import type { Identity } from './identity.service.ts';
import { SignInSettingsPage } from './sign-in-settings.page.tsx';

const linkForm = linkIdentityBody.extend({ userId: z.string().min(1).max(100) });

/** `/admin/sign-in`: the sign-in settings, read-only, and identity links (admins only). */
export function signInSettingsPages(identity: Identity) {
  const page = (c: Context<AppEnv>, extra: { error?: string; info?: string } = {}, status = 200) => {
    const users = identity.users.list();
    const identities = new Map(users.map((u) => [u.id, identity.directory.identitiesOf(u.id)]));
    return c.html(
      <SignInSettingsPage caller={callerOf(c)} settings={identity.signInSettings()} users={users} identities={identities} {...extra} />,
      status as 200,
    );
  };
  const attempt = formAction(page);
  return new Hono<AppEnv>()
    .use(pageAdmin)
    .get('/', (c) => page(c))
    .post('/link', (c) =>
      attempt(c, async () => {
        const { userId, ...link } = parseForm(linkForm, await c.req.parseBody());
        identity.directory.link(userId, link, actorOf(callerOf(c)), c.get('ip'));
        return { info: `Linked ${identity.users.get(userId).email} to ${link.provider} subject ${link.subject}.` };
      }),
    );
}
