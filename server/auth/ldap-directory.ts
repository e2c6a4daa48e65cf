// The LDAP directory as Onsite uses it: search-then-bind sign-in, the
// lookup of a linked entry for the sync, and a ping for the health check.
// Onsite never stores a directory password: it is sent in one bind to the
// directory and forgotten.
import type { Client, Entry } from 'ldapts';
import type { ConnectionOptions } from 'node:tls';
import { AppError } from '../kernel/errors.ts';
import { fillFilter } from './ldap-escape.ts';
import { isResultCode, tlsOptionsFor, withDirectory, type LdapConnectionSettings } from './ldap-client.ts';
import { groupsOf, type GroupSettings } from './ldap-groups.ts';

/** The LDAP_* configuration the directory needs. */
export interface LdapSettings extends LdapConnectionSettings, GroupSettings {
  bindDn?: string | undefined;
  bindPassword?: string | undefined;
  userBase: string;
  /** A filter with `{login}`, replaced by the escaped sign-in name. */
  userFilter: string;
  emailAttribute: string;
  nameAttribute: string;
  disabledFilter: string;
}

/** A person's entry as Onsite reads it. */
export interface DirectoryEntry {
  dn: string;
  /** Stable across renames and moves: entryUUID, AD's objectGUID (`objectGUID:<hex>`), or `dn:<DN>` when the directory has neither. */
  subject: string;
  email?: string | undefined;
  name?: string | undefined;
  /** The DNs of the groups the person is in. */
  groups: string[];
  disabled: boolean;
}

/** Why the directory refused a sign-in (the audit's reason). */
export type DirectoryRefusal = 'unknown_user' | 'ambiguous_user' | 'wrong_password' | 'disabled';

/** The outcome of a sign-in: the entry, or why not. */
export type DirectorySignIn = { ok: true; entry: DirectoryEntry } | { ok: false; reason: DirectoryRefusal; dn?: string };

const first = (v: Entry[string] | undefined): string | undefined => {
  const one = Array.isArray(v) ? v[0] : v;
  return one === undefined ? undefined : Buffer.isBuffer(one) ? one.toString('utf8') : one;
};
const all = (v: Entry[string] | undefined): string[] => (v === undefined ? [] : [v].flat().map((x) => (Buffer.isBuffer(x) ? x.toString('utf8') : x)));

function subjectOf(e: Entry): string {
  const uuid = first(e['entryUUID']);
  if (uuid) return uuid.toLowerCase();
  const guid = [e['objectGUID']].flat()[0];
  if (Buffer.isBuffer(guid) && guid.length > 0) return `objectGUID:${guid.toString('hex')}`;
  return `dn:${e.dn}`;
}

// The filter that finds an entry again by its subject (every value escaped).
function subjectFilter(subject: string): string {
  if (subject.startsWith('objectGUID:')) {
    const hex = subject.slice('objectGUID:'.length);
    if (!/^([0-9a-f]{2})+$/.test(hex)) throw new AppError('bad_request', 'not a directory subject');
    return `(objectGUID=${hex.replace(/../g, '\\$&')})`;
  }
  return fillFilter('(entryUUID={id})', { id: subject });
}

/** Builds the directory client from the LDAP_* settings. */
export function createLdapDirectory(s: LdapSettings) {
  const tls: ConnectionOptions = tlsOptionsFor(s);
  const attributes = ['entryUUID', 'objectGUID', s.emailAttribute, s.nameAttribute, 'memberOf'];
  const search = { attributes, explicitBufferAttributes: ['objectGUID'], sizeLimit: 2, timeLimit: s.timeoutS };

  const serviceBind = async (client: Client) => {
    if (!s.bindDn) return; // anonymous search, when the directory allows it
    try {
      await client.bind(s.bindDn, s.bindPassword ?? '');
    } catch (err) {
      if (isResultCode(err)) throw new AppError('directory_unreachable', `the directory refused the service account (LDAP_BIND_DN): ${err.message}`);
      throw err;
    }
  };

  const read = async (client: Client, e: Entry): Promise<DirectoryEntry> => {
    const disabled = await client.search(e.dn, { scope: 'base', filter: s.disabledFilter, attributes: ['1.1'], timeLimit: s.timeoutS });
    return {
      dn: e.dn,
      subject: subjectOf(e),
      email: first(e[s.emailAttribute])?.trim().toLowerCase(),
      name: first(e[s.nameAttribute])?.trim(),
      groups: await groupsOf(client, s, e.dn, all(e['memberOf'])),
      disabled: disabled.searchEntries.length > 0,
    };
  };

  return {
    /**
     * Names this directory in `user_identities.issuer`: its host and user
     * base, without scheme or port, so moving from StartTLS to ldaps:// keeps
     * every account linked.
     */
    issuer: `ldap://${new URL(s.url).hostname.toLowerCase()}/${s.userBase.replace(/\s*([,=])\s*/g, '$1').toLowerCase()}`,

    /**
     * Search-then-bind: the service account finds exactly one entry by the
     * escaped filter, then the password is checked by binding as that entry.
     * Throws `directory_unreachable`; a refusal is an answer, not a throw.
     */
    async signIn(login: string, password: string): Promise<DirectorySignIn> {
      // An empty password would be an unauthenticated bind, which directories accept: never a sign-in.
      if (login.trim() === '' || password === '') return { ok: false, reason: 'unknown_user' };
      return withDirectory(s, tls, async (client) => {
        await serviceBind(client);
        const found = await client.search(s.userBase, { ...search, scope: 'sub', filter: fillFilter(s.userFilter, { login: login.trim() }) });
        if (found.searchEntries.length === 0) return { ok: false, reason: 'unknown_user' };
        if (found.searchEntries.length > 1) return { ok: false, reason: 'ambiguous_user' };
        const entry = await read(client, found.searchEntries[0]!);
        if (entry.disabled) return { ok: false, reason: 'disabled', dn: entry.dn };
        try {
          await client.bind(entry.dn, password);
        } catch (err) {
          if (isResultCode(err)) return { ok: false, reason: 'wrong_password', dn: entry.dn };
          throw err;
        }
        return { ok: true, entry };
      });
    },

    /** Finds a linked entry again by its subject (for the sync); undefined when it is gone. */
    lookup(subject: string): Promise<DirectoryEntry | undefined> {
      return withDirectory(s, tls, async (client) => {
        await serviceBind(client);
        if (subject.startsWith('dn:')) {
          try {
            const r = await client.search(subject.slice(3), { ...search, scope: 'base' });
            return r.searchEntries[0] ? read(client, r.searchEntries[0]) : undefined;
          } catch (err) {
            if (isResultCode(err) && err.code === 0x20) return undefined; // noSuchObject
            throw err;
          }
        }
        const r = await client.search(s.userBase, { ...search, scope: 'sub', filter: subjectFilter(subject) });
        return r.searchEntries.length === 1 ? read(client, r.searchEntries[0]!) : undefined;
      });
    },

    /** Connects, upgrades to TLS and binds the service account, within `maxS` seconds at most: what the health check asks. */
    ping: (maxS = s.timeoutS): Promise<void> => withDirectory({ ...s, timeoutS: Math.min(maxS, s.timeoutS) }, tls, serviceBind),
  };
}

/** The LDAP directory client. */
export type LdapDirectory = ReturnType<typeof createLdapDirectory>;

/** The directory settings from the configuration. */
export function ldapSettings(c: {
  LDAP_URL?: string | undefined;
  LDAP_CA_FILE?: string | undefined;
  LDAP_ALLOW_PLAINTEXT: boolean;
  LDAP_BIND_DN?: string | undefined;
  LDAP_BIND_PASSWORD?: string | undefined;
  LDAP_USER_BASE?: string | undefined;
  LDAP_USER_FILTER: string;
  LDAP_EMAIL_ATTRIBUTE: string;
  LDAP_NAME_ATTRIBUTE: string;
  LDAP_GROUP_BASE?: string | undefined;
  LDAP_GROUP_MEMBERSHIP: GroupSettings['groupMembership'];
  LDAP_GROUP_FILTER: string;
  LDAP_DISABLED_FILTER: string;
  LDAP_TIMEOUT_S: number;
}): LdapSettings | undefined {
  if (!c.LDAP_URL || !c.LDAP_USER_BASE) return undefined;
  return {
    url: c.LDAP_URL,
    caFile: c.LDAP_CA_FILE,
    allowPlaintext: c.LDAP_ALLOW_PLAINTEXT,
    timeoutS: c.LDAP_TIMEOUT_S,
    bindDn: c.LDAP_BIND_DN,
    bindPassword: c.LDAP_BIND_PASSWORD,
    userBase: c.LDAP_USER_BASE,
    userFilter: c.LDAP_USER_FILTER,
    emailAttribute: c.LDAP_EMAIL_ATTRIBUTE,
    nameAttribute: c.LDAP_NAME_ATTRIBUTE,
    groupBase: c.LDAP_GROUP_BASE,
    groupMembership: c.LDAP_GROUP_MEMBERSHIP,
    groupFilter: c.LDAP_GROUP_FILTER,
    disabledFilter: c.LDAP_DISABLED_FILTER,
  };
}
