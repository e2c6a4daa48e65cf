// A person's groups in the directory: memberOf, a group search, or nested
// groups. Group DNs go into filters escaped (RFC 4515), never as they are.
import type { Client } from 'ldapts';
import { escapeFilterValue, fillFilter } from './ldap-escape.ts';

/** How groups are found (LDAP_GROUP_*). */
export interface GroupSettings {
  groupBase?: string | undefined;
  groupMembership: 'memberOf' | 'search' | 'nested';
  /** A filter with `{dn}`, replaced by the escaped DN of the member. */
  groupFilter: string;
  timeoutS: number;
}

/** Active Directory's LDAP_MATCHING_RULE_IN_CHAIN: membership through any depth of nesting. */
export const IN_CHAIN = '1.2.840.113556.1.4.1941';
// A bound on nesting for directories without the in-chain rule, against loops and runaway trees.
const MAX_DEPTH = 8;

/** The filter of AD's in-chain search for the groups `dn` is in, at any depth. */
export const inChainFilter = (dn: string) => `(member:${IN_CHAIN}:=${escapeFilterValue(dn)})`;

async function groupsWithMember(client: Client, s: GroupSettings, filter: string): Promise<string[]> {
  const r = await client.search(s.groupBase!, { scope: 'sub', filter, attributes: ['1.1'], timeLimit: s.timeoutS });
  return r.searchEntries.map((e) => e.dn);
}

/**
 * The DNs of the groups `dn` is in. `memberOf` reads the entry's attribute;
 * `search` finds the groups whose filter names `dn`; `nested` asks with the
 * in-chain rule and, when the directory returns nothing for it (OpenLDAP
 * does not know the rule), walks the group filter up level by level.
 */
export async function groupsOf(client: Client, s: GroupSettings, dn: string, memberOf: string[]): Promise<string[]> {
  if (s.groupMembership === 'memberOf') return memberOf;
  if (s.groupMembership === 'nested') {
    const chain = await groupsWithMember(client, s, inChainFilter(dn));
    if (chain.length > 0) return chain;
  }
  const seen = new Map<string, string>();
  let level = [dn];
  for (let depth = 0; depth < (s.groupMembership === 'nested' ? MAX_DEPTH : 1) && level.length > 0; depth++) {
    const next: string[] = [];
    for (const member of level) {
      for (const g of await groupsWithMember(client, s, fillFilter(s.groupFilter, { dn: member }))) {
        if (!seen.has(g.toLowerCase())) {
          seen.set(g.toLowerCase(), g);
          next.push(g);
        }
      }
    }
    level = next;
  }
  return [...seen.values()];
}
