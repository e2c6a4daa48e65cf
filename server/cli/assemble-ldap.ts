import type { Identity } from '../auth/identity.service.ts';
import { ldapSettings } from '../auth/ldap-directory.ts';
import type { Config } from '../config.ts';
import { isAppError } from '../kernel/errors.ts';
import type { CheckResult } from '../kernel/health.ts';
import type { Job } from '../kernel/jobs.ts';
import type { Log } from '../kernel/log.ts';

// The health service gives every check 2 s: the ping stays inside that, so a
// directory that stops answering reads `directory_unreachable`, not a timeout.
const PING_S = 1.5;

/** The LDAP settings and group rules for identity, or undefined without LDAP_URL. */
export function ldapFromConfig(config: Config) {
  const settings = ldapSettings(config);
  return settings ? { settings, rules: { adminGroups: config.LDAP_ADMIN_GROUPS, allowedGroups: config.LDAP_ALLOWED_GROUPS } } : undefined;
}

/** The `directory` readiness check: the directory answers a service bind. */
export function ldapHealthCheck(ldap: NonNullable<Identity['ldap']>): () => Promise<CheckResult> {
  return async () => {
    try {
      await ldap.ping(PING_S);
      return { ok: true };
    } catch (err) {
      if (!isAppError(err, 'directory_unreachable')) throw err;
      return { ok: false, reason: 'directory_unreachable', message: err.message };
    }
  };
}

/** The periodic LDAP sync (every LDAP_SYNC_MINUTES; none at 0 or without LDAP). */
export function ldapSyncJob(config: Config, identity: Identity, log: Log): Job[] {
  const ldap = identity.ldap;
  if (!ldap || config.LDAP_SYNC_MINUTES === 0) return [];
  return [
    {
      name: 'ldap-sync',
      everyMs: config.LDAP_SYNC_MINUTES * 60_000,
      firstAfterMs: 60_000,
      run: async () => {
        const r = await ldap.sync.run();
        if (r.deactivated.length > 0) log.info({ checked: r.checked, deactivated: r.deactivated }, 'ldap sync deactivated accounts');
      },
    },
  ];
}
