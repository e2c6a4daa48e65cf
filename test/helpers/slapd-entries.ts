// The test directory's entries: people, groups (one nested), a service
// account and the password policy that models a disabled account.
import { escapeDnValue } from '../../server/auth/ldap-escape.ts';

/** The directory's suffix. */
export const SUFFIX = 'dc=onsite,dc=test';
/** Where people and groups live. */
export const PEOPLE = `ou=people,${SUFFIX}`;
export const GROUPS = `ou=groups,${SUFFIX}`;
/** The service account Onsite binds as to search. */
export const SERVICE_DN = `cn=onsite,ou=service,${SUFFIX}`;
export const SERVICE_PASSWORD = 'service-secret-for-tests';

/** One entry: its DN and attributes (a value list per attribute). */
export interface Entry {
  dn: string;
  attrs: Record<string, string | string[]>;
}

/** A person of the test directory: sign-in name, DN, email, password. */
export interface TestUser {
  uid: string;
  dn: string;
  mail: string;
  cn: string;
  password: string;
}

const TRICKY_CN = 'Eve, "Ops" (R&D)*+\\x';
/** The DN of the person whose CN holds characters that need escaping in DNs and filters. */
export const TRICKY_DN = `cn=${escapeDnValue(TRICKY_CN)},${PEOPLE}`;

const person = (uid: string, cn: string, dn = `uid=${uid},${PEOPLE}`): TestUser => ({
  uid,
  dn,
  mail: `${uid}@example.test`,
  cn,
  password: `${uid}-password-1`,
});

/** alice: admins + staff; bob: staff; carol: visitors only; dave: contractors (nested in all-staff); eve: tricky CN, staff. */
export const USERS = {
  alice: person('alice', 'Alice Admin'),
  bob: person('bob', 'Bob Staff'),
  carol: person('carol', 'Carol Visitor'),
  dave: person('dave', 'Dave Contractor'),
  eve: person('eve', TRICKY_CN, TRICKY_DN),
} as const;

/** A member of every group that is nobody: groupOfNames needs one member, and tests empty groups of their people. */
export const NOBODY_DN = `cn=nobody,${SUFFIX}`;
const group = (cn: string, members: string[]): Entry => ({
  dn: `cn=${cn},${GROUPS}`,
  attrs: { objectClass: 'groupOfNames', cn, member: [...members, NOBODY_DN] },
});
const ou = (name: string): Entry => ({ dn: `ou=${name},${SUFFIX}`, attrs: { objectClass: 'organizationalUnit', ou: name } });

/** Every entry, parents first. */
export function directoryLdif(): Entry[] {
  const u = USERS;
  return [
    { dn: SUFFIX, attrs: { objectClass: ['dcObject', 'organization'], dc: 'onsite', o: 'Onsite tests' } },
    ...['people', 'groups', 'service', 'policies'].map(ou),
    {
      dn: `cn=default,ou=policies,${SUFFIX}`,
      attrs: { objectClass: ['organizationalRole', 'pwdPolicy'], cn: 'default', pwdAttribute: 'userPassword', pwdLockout: 'TRUE' },
    },
    { dn: SERVICE_DN, attrs: { objectClass: ['organizationalRole', 'simpleSecurityObject'], cn: 'onsite', userPassword: SERVICE_PASSWORD } },
    ...Object.values(u).map((p) => ({
      dn: p.dn,
      attrs: { objectClass: 'inetOrgPerson', uid: p.uid, cn: p.cn, sn: p.uid, mail: p.mail, userPassword: p.password },
    })),
    group('admins', [u.alice.dn]),
    group('staff', [u.alice.dn, u.bob.dn, u.eve.dn]),
    group('visitors', [u.carol.dn]),
    group('contractors', [u.dave.dn]),
    group('all-staff', [`cn=staff,${GROUPS}`, `cn=contractors,${GROUPS}`]),
  ];
}

/** Entries as LDIF add records. */
export function ldifOf(entries: Entry[]): string {
  return entries
    .map((e) => {
      const lines = [`dn: ${e.dn}`];
      for (const [k, v] of Object.entries(e.attrs)) for (const one of [v].flat()) lines.push(`${k}: ${one}`);
      return lines.join('\n');
    })
    .join('\n\n')
    .concat('\n');
}
