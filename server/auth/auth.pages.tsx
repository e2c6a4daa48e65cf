/** @jsxImportSource hono/jsx */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { describeReplaced } from './account.service.ts';
import type { Identity } from './identity.service.ts';
import { clearSessionCookie, writeSessionCookie } from '../http/cookies.ts';
import { setRetryAfter, statusOf } from '../http/errors.ts';
import { claimBody } from './identity.schemas.ts';
import type { AppEnv } from '../http/types.ts';
import { isAppError } from '../kernel/errors.ts';
import { LoginPage, MessagePage, SetPasswordPage, SetupPage, type SsoButton } from './auth.page.tsx';
import { MfaCodePage } from './mfa.page.tsx';
import { safeNext } from '../ui/safe-next.ts';

const loginForm = z.object({ email: z.string().trim().max(254).default(''), password: z.string().max(256).default(''), next: z.string().max(500).optional() });
const passwordForm = z.object({ password: z.string().max(256).default('') });
const mfaForm = z.object({ challenge: z.string().max(200).default(''), code: z.string().trim().max(64).default(''), next: z.string().max(500).optional() });

// An expected error's status and message; a sign-in wait also sets Retry-After.
function failure(c: Context<AppEnv>, err: unknown): { status: ReturnType<typeof statusOf>; message: string } {
  if (!isAppError(err)) throw err;
  setRetryAfter(c, err);
  return { status: statusOf(err.code), message: err.message };
}

const closed = (c: Context<AppEnv>) =>
  c.html(
    <MessagePage title="Already set up" message="This appliance is already set up. Sign in with your account." link={{ href: '/login', text: 'Sign in' }} />,
    410,
  );

/** Setup, sign-in, sign-out and invite/reset pages (HTML forms, no script needed). */
export function authPages(identity: Identity) {
  const startSession = (c: Context<AppEnv>, userId: string) => {
    const { token, session } = identity.sessions.create(userId, { ip: c.get('ip'), userAgent: c.req.header('user-agent') });
    writeSessionCookie(c, token, identity.sessions.cookieMaxAge(session));
  };

  const ssoButton = (next: string): SsoButton | undefined =>
    identity.oidc ? { displayName: identity.oidc.displayName, href: `/auth/oidc/login${next === '/' ? '' : `?next=${encodeURIComponent(next)}`}` } : undefined;

  return new Hono<AppEnv>()
    .get('/setup', (c) => {
      const s = identity.setup.status();
      // `?token=` fills the token field (the link `onsite dev` prints); it claims nothing by itself.
      const token = c.req.query('token');
      return s.claimed ? closed(c) : c.html(<SetupPage tokenConfigured={s.tokenConfigured} token={token && token.length <= 512 ? token : undefined} />);
    })
    .post('/setup', async (c) => {
      const s = identity.setup.status();
      if (s.claimed) return closed(c);
      const raw = await c.req.parseBody();
      const parsed = claimBody.safeParse(raw);
      const echo = { name: String(raw.name ?? ''), email: String(raw.email ?? '') };
      if (!parsed.success) return c.html(<SetupPage tokenConfigured={s.tokenConfigured} error="Fill in every field with a valid email." {...echo} />, 400);
      try {
        const user = await identity.setup.claim(parsed.data, c.get('ip'));
        startSession(c, user.id);
        return c.redirect('/', 303);
      } catch (err) {
        const f = failure(c, err);
        if (f.status === 410) return closed(c);
        return c.html(<SetupPage tokenConfigured={s.tokenConfigured} error={f.message} {...echo} />, f.status);
      }
    })
    .get('/login', (c) => {
      if (!identity.setup.status().claimed) return c.redirect('/setup', 303);
      if (c.get('caller')) return c.redirect(safeNext(c.req.query('next')), 303);
      return c.html(<LoginPage next={safeNext(c.req.query('next'))} sso={ssoButton(safeNext(c.req.query('next')))} directory={Boolean(identity.ldap)} />);
    })
    .post('/login', async (c) => {
      const form = loginForm.parse(await c.req.parseBody());
      try {
        const r = await identity.login.login(form.email, form.password, { ip: c.get('ip'), userAgent: c.req.header('user-agent') });
        if (r.mfaRequired) {
          c.header('cache-control', 'no-store'); // the page holds the challenge
          return c.html(<MfaCodePage challenge={r.challenge} next={safeNext(form.next)} />);
        }
        writeSessionCookie(c, r.token, identity.sessions.cookieMaxAge(r.session));
        return c.redirect(safeNext(form.next), 303);
      } catch (err) {
        const f = failure(c, err);
        return c.html(
          <LoginPage error={f.message} email={form.email} next={safeNext(form.next)} sso={ssoButton(safeNext(form.next))} directory={Boolean(identity.ldap)} />,
          f.status,
        );
      }
    })
    .post('/login/mfa', async (c) => {
      const form = mfaForm.parse(await c.req.parseBody());
      const next = safeNext(form.next);
      try {
        const { token, session } = identity.challenges.finish(form.challenge, form.code, { ip: c.get('ip'), userAgent: c.req.header('user-agent') });
        writeSessionCookie(c, token, identity.sessions.cookieMaxAge(session));
        return c.redirect(next, 303);
      } catch (err) {
        const f = failure(c, err);
        // A dead challenge (expired, used, out of tries) starts the sign-in over; a wrong code asks again.
        if (isAppError(err, 'token_invalid')) return c.html(<LoginPage error={f.message} next={next} />, f.status);
        return c.html(<MfaCodePage challenge={form.challenge} next={next} error={f.message} />, f.status);
      }
    })
    .post('/logout', async (c) => {
      const caller = c.get('caller');
      let endSession: string | undefined;
      if (caller?.via === 'session') {
        identity.sessions.revoke(caller.session.id, caller.user.id);
        identity.audit.record({ actor: { id: caller.user.id, label: caller.user.email }, action: 'auth.logout', ip: c.get('ip') });
        // Signed in at the provider: end that session too, or the next sign-in is silent.
        if (caller.session.method === 'oidc') endSession = await identity.oidc?.endSessionUrl();
      }
      clearSessionCookie(c);
      return c.redirect(endSession ?? '/login', 303);
    })
    .get('/:kind{invite|reset}/:token', (c) => {
      const kind = c.req.param('kind') as 'invite' | 'reset';
      const owner = identity.account.linkOwner(kind, c.req.param('token'));
      if (!owner)
        return c.html(<MessagePage title="Link not valid" message="This link is invalid, expired or already used. Ask an admin for a new one." />, 400);
      return c.html(<SetPasswordPage kind={kind} token={c.req.param('token')} email={owner.email} activeKeys={identity.keys.activeCount(owner.id)} />);
    })
    .post('/:kind{invite|reset}/:token', async (c) => {
      const kind = c.req.param('kind') as 'invite' | 'reset';
      const token = c.req.param('token');
      const form = passwordForm.parse(await c.req.parseBody());
      try {
        const replaced = await identity.account.redeemLink(kind, token, form.password, c.get('ip'));
        return c.html(<LoginPage info={`Your password is set: ${describeReplaced(replaced)} Sign in with it.`} />);
      } catch (err) {
        const f = failure(c, err);
        const owner = identity.account.linkOwner(kind, token);
        if (!owner) return c.html(<MessagePage title="Link not valid" message={f.message} />, f.status);
        return c.html(
          <SetPasswordPage kind={kind} token={token} email={owner.email} error={f.message} activeKeys={identity.keys.activeCount(owner.id)} />,
          f.status,
        );
      }
    });
}
