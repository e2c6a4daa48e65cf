import type { Env } from '../../server/config.ts';
import type { LoopbackServer, LoopbackResponse } from './loopback.ts';
import { GROUPS, PEOPLE, SERVICE_DN, SERVICE_PASSWORD, type Slapd } from './slapd.ts';

/** The LDAP_* environment of a server signing in against the test directory: StartTLS, staff allowed, admins admin. */
export function ldapEnv(slapd: Slapd, extra: Env = {}): Env {
  return {
    LDAP_URL: slapd.url,
    LDAP_CA_FILE: slapd.caFile,
    LDAP_BIND_DN: SERVICE_DN,
    LDAP_BIND_PASSWORD: SERVICE_PASSWORD,
    LDAP_USER_BASE: PEOPLE,
    LDAP_GROUP_BASE: GROUPS,
    LDAP_ADMIN_GROUPS: 'admins',
    LDAP_ALLOWED_GROUPS: 'staff',
    LDAP_TIMEOUT_S: '1',
    LDAP_SYNC_MINUTES: '0',
    ...extra,
  };
}

/** A sign-in's response and the session cookie it set, if any. */
export interface SignInResponse extends LoopbackResponse {
  cookie?: string | undefined;
  code?: string | undefined;
}

const cookieOf = (r: LoopbackResponse) => {
  const set = [r.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith('onsite_session='));
  const value = set?.split(';')[0];
  return value && value !== 'onsite_session=' ? value : undefined;
};

/** POST /api/auth/login over real HTTP. */
export async function apiSignIn(http: LoopbackServer, email: string, password: string, from = '127.0.0.1'): Promise<SignInResponse> {
  const r = await http.from(from, 'POST', '/api/auth/login', { json: { email, password } });
  return { ...r, cookie: cookieOf(r), code: (r.body.error as { code?: string } | undefined)?.code };
}

/** POST /login (the HTML form) over real HTTP. */
export async function formSignIn(http: LoopbackServer, email: string, password: string): Promise<SignInResponse> {
  const r = await http.from('127.0.0.1', 'POST', '/login', { form: { email, password } });
  return { ...r, cookie: cookieOf(r) };
}
