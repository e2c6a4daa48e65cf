/** @jsxImportSource hono/jsx */
import { Hono, type Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { writeSessionCookie } from '../http/cookies.ts';
import { statusOf } from '../http/errors.ts';
import type { AppEnv } from '../http/types.ts';
import { isAppError } from '../kernel/errors.ts';
import { safeNext } from '../ui/safe-next.ts';
import { MessagePage } from './auth.page.tsx';
import type { Identity } from './identity.service.ts';
import { FLOW_MINUTES } from './oidc.service.ts';

const FLOW_COOKIE = 'onsite_oidc_flow';
const isHttps = (c: Context) => new URL(c.req.url).protocol === 'https:';

// What a person reads when a sign-in through the provider does not go through.
const TITLES: Record<string, string> = {
  sso_not_allowed: 'Not allowed to sign in',
  seats_exceeded: 'No seat left',
  identity_unlinked: 'Account not linked',
  forbidden: 'Account deactivated',
  sso_not_configured: 'Single sign-on is not set up',
};

const refusal = (c: Context<AppEnv>, err: unknown) => {
  if (!isAppError(err)) throw err;
  const message =
    err.code === 'seats_exceeded'
      ? 'Every seat of this installation is taken, so no account can be made for you. Ask your administrator to free a seat or extend the license.'
      : err.message;
  return c.html(
    <MessagePage title={TITLES[err.code] ?? 'Sign-in failed'} message={message} link={{ href: '/login', text: 'Back to sign-in' }} />,
    statusOf(err.code),
  );
};

/** `/auth/oidc`: the redirect to the OpenID provider and its return. */
export function oidcPages(identity: Identity) {
  return new Hono<AppEnv>()
    .get('/login', async (c) => {
      const oidc = identity.oidc;
      if (!oidc) return c.html(<MessagePage title={TITLES.sso_not_configured!} message="This appliance has no OpenID provider configured." />, 404);
      // The first admin claims the appliance with the bootstrap token before anyone signs in.
      if (!identity.setup.status().claimed) return c.redirect('/setup', 303);
      try {
        const { url, flowId } = await oidc.begin(safeNext(c.req.query('next')));
        setCookie(c, FLOW_COOKIE, flowId, { httpOnly: true, sameSite: 'Lax', secure: isHttps(c), path: '/auth/oidc', maxAge: FLOW_MINUTES * 60 });
        return c.redirect(url, 302);
      } catch (err) {
        return refusal(c, err);
      }
    })
    .get('/callback', async (c) => {
      const oidc = identity.oidc;
      if (!oidc) return c.html(<MessagePage title={TITLES.sso_not_configured!} message="This appliance has no OpenID provider configured." />, 404);
      const flowId = getCookie(c, FLOW_COOKIE);
      deleteCookie(c, FLOW_COOKIE, { path: '/auth/oidc', secure: isHttps(c) });
      try {
        const signedIn = await oidc.finish(new URL(c.req.url).searchParams, flowId, { ip: c.get('ip'), userAgent: c.req.header('user-agent') });
        writeSessionCookie(c, signedIn.token, identity.sessions.cookieMaxAge(signedIn.session));
        return c.redirect(signedIn.next, 303);
      } catch (err) {
        return refusal(c, err);
      }
    });
}
