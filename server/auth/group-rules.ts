import { inAnyGroup } from '../kernel/group-names.ts';

export { inAnyGroup };

/** Which directory groups may sign in and which make an admin (OIDC_* or LDAP_* groups). */
export interface GroupRules {
  adminGroups: readonly string[];
  /** Empty: every user the directory vouches for may sign in. */
  allowedGroups: readonly string[];
}

/** What the rules decide for one user's groups. */
export type GroupDecision = { allowed: false } | { allowed: true; role: 'admin' | 'user' };

/**
 * Applies the group rules to a user's groups: outside the allowed groups
 * (when there are any) nobody signs in; in an admin group they are an admin,
 * otherwise a user. Admin groups count as allowed.
 */
export function decideGroups(groups: readonly string[], rules: GroupRules): GroupDecision {
  const admin = rules.adminGroups.length > 0 && inAnyGroup(groups, rules.adminGroups);
  if (rules.allowedGroups.length > 0 && !admin && !inAnyGroup(groups, rules.allowedGroups)) return { allowed: false };
  return { allowed: true, role: admin ? 'admin' : 'user' };
}
