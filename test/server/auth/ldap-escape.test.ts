import { describe, expect, it } from 'vitest';
import { escapeDnValue, escapeFilterValue, fillFilter } from '../../../server/auth/ldap-escape.ts';
import { inChainFilter } from '../../../server/auth/ldap-groups.ts';

describe('RFC 4515 filter values', () => {
  it.each([
    ['*', '\\2a'],
    [')(uid=*', '\\29\\28uid=\\2a'],
    ['\\00', '\\5c00'],
    ['\0', '\\00'],
    ['admin)(|(uid=*', 'admin\\29\\28|\\28uid=\\2a'],
    ['Jürgen', 'Jürgen'],
  ])('%j becomes %j', (raw, escaped) => expect(escapeFilterValue(raw)).toBe(escaped));

  it('fills every placeholder escaped, and leaves unknown ones', () => {
    expect(fillFilter('(|(uid={login})(mail={login})(x={other}))', { login: 'a*)(b' })).toBe('(|(uid=a\\2a\\29\\28b)(mail=a\\2a\\29\\28b)(x={other}))');
  });

  it('puts a DN into the in-chain filter escaped', () => {
    expect(inChainFilter('cn=Eve (Ops)*,dc=x')).toBe('(member:1.2.840.113556.1.4.1941:=cn=Eve \\28Ops\\29\\2a,dc=x)');
  });
});

describe('RFC 4514 DN values', () => {
  it.each([
    ['Eve, "Ops" <R&D>+x;y=z\\', 'Eve\\, \\"Ops\\" \\<R&D\\>\\+x\\;y\\=z\\\\'],
    ['#hash', '\\#hash'],
    [' lead', '\\ lead'],
    ['trail ', 'trail\\ '],
    ['nul\0', 'nul\\00'],
  ])('%j becomes %j', (raw, escaped) => expect(escapeDnValue(raw)).toBe(escaped));
});
