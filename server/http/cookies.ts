import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';

// Over HTTPS the __Host- prefix pins the cookie to this host and path /, Secure.
const PLAIN = 'onsite_session';
const SECURE = '__Host-onsite_session';

const isHttps = (c: Context) => new URL(c.req.url).protocol === 'https:';

/** Reads the session cookie: over HTTPS only the `__Host-` one, which a plain-HTTP attacker cannot plant. */
export function readSessionCookie(c: Context): string | undefined {
  return getCookie(c, isHttps(c) ? SECURE : PLAIN);
}

/** Sets the session cookie: HttpOnly, SameSite=Lax, Secure over HTTPS, lifetime of the session. */
export function writeSessionCookie(c: Context, token: string, maxAgeSeconds: number): void {
  const https = isHttps(c);
  setCookie(c, https ? SECURE : PLAIN, token, { httpOnly: true, sameSite: 'Lax', secure: https, path: '/', maxAge: maxAgeSeconds });
}

/** Clears the session cookie. */
export function clearSessionCookie(c: Context): void {
  deleteCookie(c, PLAIN, { path: '/' });
  if (isHttps(c)) deleteCookie(c, SECURE, { path: '/', secure: true });
}
