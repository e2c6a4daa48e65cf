/** @jsxImportSource hono/jsx */
import { Hono, type Context } from 'hono';
import type { Identity } from './identity.service.ts';
import { callerOf, requireSession } from '../http/middleware/guards.ts';
import type { AppEnv } from '../http/types.ts';
import { mfaCodeBody } from './mfa.schemas.ts';
import type { Enrolment } from './mfa.service.ts';
import { MfaPage } from './mfa.page.tsx';
import { formAction, parseForm, type FormOutcome } from '../ui/forms.ts';
import { pageUser } from '../ui/guards.ts';

type MfaExtra = { enrolment: Enrolment; recoveryCodes: string[] };

/** `/profile/mfa`: the caller's own two-step sign-in (the page a session awaiting enrolment is sent to). */
export function mfaPages(identity: Identity) {
  const render = async (c: Context<AppEnv>, extra: FormOutcome<MfaExtra> = {}, status = 200) => {
    const user = callerOf(c).user;
    // A failed confirmation shows the same QR code again, so the app need not be set up twice.
    const enrolment = extra.enrolment ?? (extra.recoveryCodes ? undefined : await identity.mfa.pending(user));
    c.header('cache-control', 'no-store');
    return c.html(<MfaPage caller={callerOf(c)} status={identity.mfa.status(user)} {...extra} enrolment={enrolment} />, status as 200);
  };
  const attempt = formAction<MfaExtra>(render);
  const code = async (c: Context<AppEnv>) => parseForm(mfaCodeBody, await c.req.parseBody()).code;

  return new Hono<AppEnv>()
    .use(pageUser)
    .use(requireSession)
    .get('/', (c) => render(c))
    .post('/start', (c) => attempt(c, async () => ({ enrolment: await identity.mfa.start(callerOf(c).user) })))
    .post('/confirm', (c) =>
      attempt(c, async () => {
        const { recoveryCodes } = identity.mfa.confirm(callerOf(c).user, await code(c), c.get('ip'));
        return { recoveryCodes, info: 'Two-step sign-in is on.' };
      }),
    )
    .post('/recovery-codes', (c) =>
      attempt(c, async () => {
        const { recoveryCodes } = identity.mfa.regenerateRecoveryCodes(callerOf(c).user, await code(c), c.get('ip'));
        return { recoveryCodes, info: 'New recovery codes made; the old ones no longer work.' };
      }),
    )
    .post('/disable', (c) =>
      attempt(c, async () => {
        identity.mfa.disable(callerOf(c).user, await code(c), c.get('ip'));
        return { info: 'Two-step sign-in is off.' };
      }),
    );
}
