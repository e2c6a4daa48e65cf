// The directory client against a real slapd (test/helpers/slapd.ts).
import { readFileSync } from 'node:fs';
import { Client, InvalidCredentialsError } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tlsOptionsFor } from '../../../server/auth/ldap-client.ts';
import { createLdapDirectory, type LdapSettings } from '../../../server/auth/ldap-directory.ts';
import { inAnyGroup } from '../../../server/auth/group-rules.ts';
import { GROUPS, PEOPLE, requireSlapd, SERVICE_DN, SERVICE_PASSWORD, startSlapd, USERS, type Slapd } from '../../helpers/slapd.ts';

let slapd: Slapd;
let plain: Slapd;

beforeAll(async () => {
  [slapd, plain] = await Promise.all([startSlapd(), startSlapd({ tls: false })]);
});
afterAll(async () => {
  await Promise.all([slapd?.stop(), plain?.stop()]);
});

const settings = (o: Partial<LdapSettings> = {}): LdapSettings => ({
  url: slapd.url,
  caFile: slapd.caFile,
  allowPlaintext: false,
  timeoutS: 2,
  bindDn: SERVICE_DN,
  bindPassword: SERVICE_PASSWORD,
  userBase: PEOPLE,
  userFilter: '(|(uid={login})(mail={login})(sAMAccountName={login})(userPrincipalName={login}))',
  emailAttribute: 'mail',
  nameAttribute: 'cn',
  groupBase: GROUPS,
  groupMembership: 'memberOf',
  groupFilter: '(|(member={dn})(uniqueMember={dn}))',
  disabledFilter: '(|(userAccountControl:1.2.840.113556.1.4.803:=2)(pwdAccountLockedTime=*))',
  ...o,
});

describe('search-then-bind over StartTLS', () => {
  it('signs in by uid or email and reads email, name, groups and entryUUID', async () => {
    const dir = createLdapDirectory(settings());
    const byUid = await dir.signIn('alice', USERS.alice.password);
    expect(byUid.ok).toBe(true);
    if (!byUid.ok) return;
    expect(byUid.entry).toMatchObject({ dn: USERS.alice.dn, email: 'alice@example.test', name: 'Alice Admin', disabled: false });
    expect(byUid.entry.subject).toMatch(/^[0-9a-f-]{36}$/);
    expect(inAnyGroup(byUid.entry.groups, ['admins'])).toBe(true);
    expect(inAnyGroup(byUid.entry.groups, ['CN=Staff,OU=Groups,DC=onsite,DC=test'])).toBe(true);
    const byMail = await dir.signIn('ALICE@example.test', USERS.alice.password);
    expect(byMail.ok && byMail.entry.subject).toBe(byUid.entry.subject);
  });

  it('refuses a wrong password, an empty one and an unknown user', async () => {
    const dir = createLdapDirectory(settings());
    expect(await dir.signIn('bob', 'wrong')).toEqual({ ok: false, reason: 'wrong_password', dn: USERS.bob.dn });
    expect(await dir.signIn('bob', '')).toEqual({ ok: false, reason: 'unknown_user' });
    expect(await dir.signIn('nobody', 'x')).toEqual({ ok: false, reason: 'unknown_user' });
  });

  it('reads groups by search and through nesting, also for a DN full of special characters', async () => {
    const search = createLdapDirectory(settings({ groupMembership: 'search' }));
    const eve = await search.signIn('eve', USERS.eve.password);
    expect(eve.ok && eve.entry.groups.map((g) => g.toLowerCase())).toEqual([`cn=staff,${GROUPS}`]);
    const nested = createLdapDirectory(settings({ groupMembership: 'nested' }));
    const dave = await nested.signIn('dave', USERS.dave.password);
    expect(dave.ok && dave.entry.groups.map((g) => g.split(',')[0]).sort()).toEqual(['cn=all-staff', 'cn=contractors']);
    const eveNested = await nested.signIn('eve', USERS.eve.password);
    expect(eveNested.ok && inAnyGroup(eveNested.entry.groups, ['all-staff'])).toBe(true);
  });

  it('treats a locked (disabled) account as disabled, and finds entries again by subject', async () => {
    const dir = createLdapDirectory(settings());
    const ok = await dir.signIn('carol', USERS.carol.password);
    expect(ok.ok).toBe(true);
    await slapd.disable(USERS.carol.dn);
    expect(await dir.signIn('carol', USERS.carol.password)).toMatchObject({ ok: false, reason: 'disabled' });
    // ppolicy's lock is what "disabled" means here: the directory itself refuses the bind too.
    const raw = new Client({ url: plain.url });
    await expect(raw.bind(USERS.carol.dn, USERS.carol.password)).resolves.toBeUndefined(); // carol is not locked in the other directory
    await raw.unbind();
    const locked = new Client({ url: slapd.ldapsUrl, tlsOptions: { ca: readFileSync(slapd.caFile) } });
    await expect(locked.bind(USERS.carol.dn, USERS.carol.password)).rejects.toBeInstanceOf(InvalidCredentialsError);
    await locked.unbind();
    const found = await dir.lookup(ok.ok ? ok.entry.subject : '');
    expect(found).toMatchObject({ dn: USERS.carol.dn, disabled: true });
    expect(await dir.lookup('00000000-0000-0000-0000-000000000000')).toBeUndefined();
    expect(await dir.lookup(`dn:uid=gone,${PEOPLE}`)).toBeUndefined();
  });
});

describe('LDAP injection', () => {
  it.each(['*', ')(uid=*', '\\00', '\0', 'admin)(|(uid=*', '*)(objectClass=*', 'alice)(uid=*))(|(uid=*', '\\2a'])(
    'the sign-in name %j matches nothing',
    async (login) => {
      const dir = createLdapDirectory(settings());
      expect(await dir.signIn(login, USERS.alice.password)).toEqual({ ok: false, reason: 'unknown_user' });
    },
  );

  it('a subject cannot widen the lookup', async () => {
    const dir = createLdapDirectory(settings());
    expect(await dir.lookup('*')).toBeUndefined();
    expect(await dir.lookup('*)(uid=*')).toBeUndefined();
    await expect(dir.lookup('objectGUID:*')).rejects.toMatchObject({ code: 'bad_request' });
  });
});

describe('transport', () => {
  it('signs in over ldaps:// with the CA file, and refuses a certificate it cannot verify, ldaps:// and StartTLS alike', async () => {
    await expect(createLdapDirectory(settings({ caFile: undefined })).signIn('bob', USERS.bob.password)).rejects.toMatchObject({
      code: 'directory_unreachable',
      message: /StartTLS/,
    });
    expect((await createLdapDirectory(settings({ url: slapd.ldapsUrl })).signIn('bob', USERS.bob.password)).ok).toBe(true);
    await expect(createLdapDirectory(settings({ url: slapd.ldapsUrl, caFile: undefined })).signIn('bob', USERS.bob.password)).rejects.toMatchObject({
      code: 'directory_unreachable',
    });
  });

  it('names the directory by host and base, so a move from StartTLS to ldaps:// keeps accounts linked', () => {
    expect(createLdapDirectory(settings({ url: slapd.ldapsUrl })).issuer).toBe(createLdapDirectory(settings()).issuer);
    expect(createLdapDirectory(settings()).issuer).toBe(`ldap://127.0.0.1/${PEOPLE}`);
  });

  it('never sends a password in plaintext unless LDAP_ALLOW_PLAINTEXT is set', async () => {
    const refused = createLdapDirectory(settings({ url: plain.url, caFile: undefined }));
    await expect(refused.signIn('bob', USERS.bob.password)).rejects.toMatchObject({ code: 'directory_unreachable', message: /StartTLS/ });
    const allowed = createLdapDirectory(settings({ url: plain.url, caFile: undefined, allowPlaintext: true }));
    expect((await allowed.signIn('bob', USERS.bob.password)).ok).toBe(true);
  });

  it('a refused service account is a directory error, not a wrong password', async () => {
    const dir = createLdapDirectory(settings({ bindPassword: 'wrong' }));
    await expect(dir.signIn('bob', USERS.bob.password)).rejects.toMatchObject({ code: 'directory_unreachable', message: /LDAP_BIND_DN/ });
  });

  it('a directory that stops answering fails within the timeout, ldap:// and ldaps:// alike', async () => {
    slapd.freeze();
    try {
      for (const url of [slapd.url, slapd.ldapsUrl]) {
        const started = Date.now();
        await expect(createLdapDirectory(settings({ url, timeoutS: 1 })).signIn('bob', USERS.bob.password)).rejects.toMatchObject({
          code: 'directory_unreachable',
        });
        expect(Date.now() - started).toBeLessThan(3_000); // 1 s, and room for a loaded CI machine
        await expect(createLdapDirectory(settings({ url, timeoutS: 1 })).ping()).rejects.toMatchObject({ code: 'directory_unreachable' });
      }
    } finally {
      slapd.thaw();
    }
    await createLdapDirectory(settings()).ping();
  });

  it('checks the certificate against the host of the URL, also after StartTLS', () => {
    expect(tlsOptionsFor(settings({ url: 'ldap://dc1.corp.example:389' }))).toMatchObject({ host: 'dc1.corp.example', servername: 'dc1.corp.example' });
    expect(tlsOptionsFor(settings({ url: 'ldap://127.0.0.1:389' }))).toMatchObject({ host: '127.0.0.1' });
    expect(tlsOptionsFor(settings({ url: 'ldap://127.0.0.1:389' })).servername).toBeUndefined();
  });

  it('the test directory refuses to run without slapd, naming the Debian packages', () => {
    expect(() => requireSlapd(['/nonexistent/slapd'])).toThrow(/slapd and ldap-utils/);
  });

  it('a closed port fails at once', async () => {
    const dir = createLdapDirectory(settings({ url: 'ldap://127.0.0.1:1' }));
    await expect(dir.ping()).rejects.toMatchObject({ code: 'directory_unreachable' });
  });
});
