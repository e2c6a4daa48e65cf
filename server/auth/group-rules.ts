/** Which directory groups may sign in and which make an admin (OIDC_* or LDAP_* groups). */
export interface GroupRules {
  adminGroups: readonly string[];
  /** Empty: every user the directory vouches for may sign in. */
  allowedGroups: readonly string[];
}

/** What the rules decide for one user's groups. */
export type GroupDecision = { allowed: false } | { allowed: true; role: 'admin' | 'user' };

// An LDAP group is named by its DN (cn=Staff,ou=groups,dc=example,dc=org) or only its CN; an
// OIDC group claim is a name or a path (/staff). A rule naming either form matches, ignoring case.
function namesOf(group: string): string[] {
  const g = group.trim().toLowerCase();
  const cn = /^cn=((?:\\.|[^,\\])+)/.exec(g)?.[1]?.replace(/\\(.)/g, '$1');
  return cn && cn !== g ? [g, cn] : [g];
}

/** True when one of `groups` is named by one of `rule`. */
export function inAnyGroup(groups: readonly string[], rule: readonly string[]): boolean {
  const wanted = new Set(rule.map((r) => r.trim().toLowerCase()));
  return groups.some((g) => namesOf(g).some((n) => wanted.has(n)));
}

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
