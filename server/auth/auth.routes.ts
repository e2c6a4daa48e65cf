import { Hono } from 'hono';
import type { Identity } from './identity.service.ts';
import { publicSession } from './identity.views.ts';
import { AppError } from '../kernel/errors.ts';
import { clearSessionCookie, writeSessionCookie } from '../http/cookies.ts';
import { callerOf, requireSession, requireUser } from '../http/middleware/guards.ts';
import { loginBody, passwordChangeBody, redeemBody } from './identity.schemas.ts';
import { mfaLoginBody } from './mfa.schemas.ts';
import type { AppEnv } from '../http/types.ts';
import { jsonBody } from '../http/validate.ts';

/** `/api/auth`: sign in and out, who am I, own sessions and password (browser sessions only), invite/reset links. */
export function authRoutes(identity: Identity) {
  return (
    new Hono<AppEnv>()
      .post('/login', async (c) => {
        const body = await jsonBody(c, loginBody);
        const r = await identity.login.login(body.email, body.password, { ip: c.get('ip'), userAgent: c.req.header('user-agent') });
        // With MFA the password only earns a challenge: no session until `/login/mfa` gets the code.
        if (r.mfaRequired) return c.json({ mfaRequired: true, challenge: r.challenge, expiresAt: r.expiresAt });
        writeSessionCookie(c, r.token, identity.sessions.cookieMaxAge(r.session));
        return c.json({ user: r.user, csrfToken: identity.sessions.csrfToken(r.session) });
      })
      .post('/login/mfa', async (c) => {
        const body = await jsonBody(c, mfaLoginBody);
        const { user, token, session } = identity.challenges.finish(body.challenge, body.code, { ip: c.get('ip'), userAgent: c.req.header('user-agent') });
        writeSessionCookie(c, token, identity.sessions.cookieMaxAge(session));
        return c.json({ user, csrfToken: identity.sessions.csrfToken(session) });
      })
      .post('/accept', async (c) => {
        const body = await jsonBody(c, redeemBody);
        const { user, sessionsRevoked, keysRevoked } = await identity.account.redeemLink(body.kind, body.token, body.password, c.get('ip'));
        return c.json({ user, sessionsRevoked, keysRevoked });
      })
      .use(requireUser)
      .post('/logout', async (c) => {
        const caller = callerOf(c);
        let endSessionUrl: string | undefined;
        if (caller.via === 'session') {
          identity.sessions.revoke(caller.session.id, caller.user.id);
          identity.audit.record({ actor: { id: caller.user.id, label: caller.user.email }, action: 'auth.logout', ip: c.get('ip') });
          // The provider's own sign-out, for the client to open: the local session is over either way.
          if (caller.session.method === 'oidc') endSessionUrl = await identity.oidc?.endSessionUrl();
        }
        clearSessionCookie(c);
        return c.json({ ok: true, ...(endSessionUrl ? { endSessionUrl } : {}) });
      })
      .get('/me', (c) => {
        const caller = callerOf(c);
        return c.json({
          user: identity.users.get(caller.user.id),
          via: caller.via,
          ...(caller.via === 'session' ? { csrfToken: caller.csrfToken } : {}),
          ...(caller.via === 'session' && caller.mfaEnrolmentRequired ? { mfaEnrolmentRequired: true } : {}),
        });
      })
      // Sessions and the password are managed from a browser session only; an API key gets 403 session_required.
      .get('/sessions', requireSession, (c) => {
        const caller = callerOf(c);
        const current = caller.via === 'session' ? caller.session.id : undefined;
        return c.json({ sessions: identity.sessions.list(caller.user.id).map((s) => publicSession(s, current)) });
      })
      .delete('/sessions/:id', requireSession, (c) => {
        const caller = callerOf(c);
        if (!identity.sessions.revoke(c.req.param('id'), caller.user.id)) throw new AppError('not_found', 'no such session');
        identity.audit.record({
          actor: { id: caller.user.id, label: caller.user.email },
          action: 'session.revoke',
          target: c.req.param('id'),
          ip: c.get('ip'),
        });
        return c.json({ ok: true });
      })
      .post('/password', requireSession, async (c) => {
        const caller = callerOf(c);
        const body = await jsonBody(c, passwordChangeBody);
        const keep = caller.via === 'session' ? caller.session.id : undefined;
        const replaced = await identity.account.changePassword(caller.user, body.currentPassword, body.newPassword, keep, c.get('ip'));
        return c.json({ ok: true, ...replaced });
      })
  );
}
