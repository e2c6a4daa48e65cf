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
