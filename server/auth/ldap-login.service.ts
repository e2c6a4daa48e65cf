import type { AuditService } from '../audit/audit.service.ts';
import { isAppError } from '../kernel/errors.ts';
import type { DirectoryAccounts, DirectorySignIn } from './directory-accounts.service.ts';
import type { GroupRules } from './group-rules.ts';
import type { DirectoryRefusal, LdapDirectory } from './ldap-directory.ts';
import type { LoginMeta } from './login.service.ts';

/** A directory sign-in's outcome: the account and session, or why the directory said no. */
export type LdapLoginResult = { ok: true; result: DirectorySignIn } | { ok: false; reason: DirectoryRefusal };

/**
 * Sign-in with a directory name or email and password against LDAP: the
 * directory checks the password (search-then-bind), then the account is
 * found or made by the directory accounts service under the LDAP_* group
 * rules. The password is sent to the directory only and never stored.
 */
export function createLdapLogin(deps: { directory: LdapDirectory; accounts: DirectoryAccounts; rules: GroupRules; audit: AuditService }) {
  const { directory, accounts, rules, audit } = deps;
  return {
    /**
     * A refusal by the directory (unknown name, wrong password, disabled) is
     * returned for the login service to count and audit like a wrong local
     * password. Throws `directory_unreachable` (audited here) and the
     * account refusals of {@link DirectoryAccounts.signIn}.
     */
    async signIn(login: string, password: string, meta: LoginMeta): Promise<LdapLoginResult> {
      let answer;
      try {
        answer = await directory.signIn(login, password);
      } catch (err) {
        if (isAppError(err, 'directory_unreachable')) {
          audit.record({
            actor: { label: login.slice(0, 200) },
            action: 'auth.login',
            outcome: 'failure',
            ip: meta.ip,
            details: { method: 'ldap', reason: 'directory_unreachable' },
          });
        }
        throw err;
      }
      if (!answer.ok) return { ok: false, reason: answer.reason };
      const e = answer.entry;
      const profile = { provider: 'ldap' as const, issuer: directory.issuer, subject: e.subject, email: e.email, name: e.name, groups: e.groups, label: e.dn };
      return { ok: true, result: accounts.signIn(profile, rules, { ...meta, method: 'ldap' }) };
    },

    /** Whether the directory answers (the health check); throws `directory_unreachable`. */
    ping: (maxS?: number) => directory.ping(maxS),
  };
}

/** LDAP sign-in. */
export type LdapLogin = ReturnType<typeof createLdapLogin>;
