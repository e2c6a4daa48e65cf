import type { Actor } from '../audit/audit.service.ts';
import type { DirectoryAccounts } from './directory-accounts.service.ts';
import { decideGroups, type GroupRules } from './group-rules.ts';
import type { DirectoryEntry, LdapDirectory } from './ldap-directory.ts';

/** Why the sync deactivated an account. */
export type SyncReason = 'removed' | 'disabled' | 'not_in_allowed_groups';

/** What one sync did. */
export interface LdapSyncReport {
  /** Linked identities asked about. */
  checked: number;
  /** Accounts deactivated, with the directory's name for them and why. */
  deactivated: { label: string | null; reason: SyncReason }[];
  /** Accounts that should have been deactivated but were kept (the last active admin, or already inactive). */
  kept: { label: string | null; reason: SyncReason }[];
}

const SYSTEM: Actor = { label: 'ldap-sync' };

function verdict(entry: DirectoryEntry | undefined, rules: GroupRules): SyncReason | undefined {
  if (!entry) return 'removed';
  if (entry.disabled) return 'disabled';
  return decideGroups(entry.groups, rules).allowed ? undefined : 'not_in_allowed_groups';
}

/**
 * The LDAP sync: every account linked to this directory is looked up again
 * by its entry's stable id. Accounts whose entry is gone, disabled or outside
 * the allowed groups are deactivated (their sessions end, their seats are
 * freed; audited `directory.sync_deactivate`). A directory that does not
 * answer stops the sync with `directory_unreachable` before it changes
 * anything more: an outage never looks like everyone was removed.
 */
export function createLdapSync(deps: { directory: LdapDirectory; accounts: DirectoryAccounts; rules: GroupRules }) {
  const { directory, accounts, rules } = deps;
  return {
    async run(actor: Actor = SYSTEM): Promise<LdapSyncReport> {
      const report: LdapSyncReport = { checked: 0, deactivated: [], kept: [] };
      for (const identity of accounts.identitiesOfIssuer('ldap', directory.issuer)) {
        const entry = await directory.lookup(identity.subject);
        report.checked++;
        const reason = verdict(entry, rules);
        if (!reason) {
          accounts.markSynced(identity.id, entry!.groups);
          continue;
        }
        if (accounts.deactivateFromDirectory(identity.id, reason, actor)) report.deactivated.push({ label: identity.label, reason });
        else report.kept.push({ label: identity.label, reason });
      }
      return report;
    },
  };
}

/** The LDAP sync. */
export type LdapSync = ReturnType<typeof createLdapSync>;
