import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, redactedConfig, secretValues } from '../../server/config.ts';
import { AppError } from '../../server/kernel/errors.ts';
import { tempDir, validEnv } from '../helpers/env.ts';

const tmp = tempDir();
afterAll(tmp.cleanup);

function issues(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(validEnv(tmp.dir, env));
  } catch (err) {
    if (err instanceof AppError) return (err.details?.issues as string[]) ?? [];
    throw err;
  }
  return [];
}

describe('sign-in configuration', () => {
  it('defaults to local sign-in for all, MFA for admins, no directory', () => {
    const c = loadConfig(validEnv(tmp.dir, { MFA_REQUIRED: undefined })); // the test env turns MFA off; the product's default is admins
    expect([c.LOCAL_LOGIN, c.MFA_REQUIRED, c.OIDC_ISSUER_URL, c.LDAP_URL]).toEqual(['all', 'admins', undefined, undefined]);
    expect(c.OIDC_SCOPES).toBe('openid email profile');
    expect(c.LDAP_USER_FILTER).toContain('{login}');
  });

  it('needs the OIDC settings that only make sense together', () => {
    expect(issues({ OIDC_ISSUER_URL: 'https://idp.example.test' })).toContain('OIDC_CLIENT_ID: required with OIDC_ISSUER_URL');
    expect(issues({ OIDC_CLIENT_ID: 'onsite' })).toContain('OIDC_ISSUER_URL: required with OIDC_CLIENT_ID');
    expect(issues({ OIDC_ISSUER_URL: 'https://idp.example.test', OIDC_CLIENT_ID: 'onsite', OIDC_JWKS_FILE: '/k.json' })).toContain(
      'OIDC_JWKS_FILE: needs OIDC_DISCOVERY_FILE (an air-gapped site has neither discovery nor key fetching)',
    );
    expect(issues({ OIDC_ISSUER_URL: 'https://idp.example.test', OIDC_CLIENT_ID: 'onsite', OIDC_SCOPES: 'email profile' })).toContain(
      'OIDC_SCOPES: must include openid',
    );
    expect(issues({ OIDC_ISSUER_URL: 'http://idp.example.test', OIDC_CLIENT_ID: 'x' })).toContain(
      'OIDC_ISSUER_URL: must be https:// (plain http only to a provider on this machine)',
    );
    expect(issues({ OIDC_ISSUER_URL: 'http://127.0.0.1:9000', OIDC_CLIENT_ID: 'x' })).toEqual([]);
    expect(issues({ OIDC_ISSUER_URL: 'ftp://idp', OIDC_CLIENT_ID: 'x' }).some((i) => i.startsWith('OIDC_ISSUER_URL: must be'))).toBe(true);
    expect(issues({ OIDC_GROUPS_CLAIM: 'groups}' }).some((i) => i.startsWith('OIDC_GROUPS_CLAIM'))).toBe(true);
  });

  it('needs the LDAP settings that only make sense together', () => {
    const ldap = { LDAP_URL: 'ldaps://dc.example.test', LDAP_USER_BASE: 'ou=people,dc=example,dc=test' };
    expect(issues(ldap)).toEqual([]);
    expect(issues({ LDAP_URL: 'ldaps://dc.example.test' })).toContain('LDAP_USER_BASE: required with LDAP_URL');
    expect(issues({ LDAP_URL: 'https://dc.example.test' }).some((i) => i.startsWith('LDAP_URL: must be'))).toBe(true);
    expect(issues({ ...ldap, LDAP_BIND_DN: 'cn=svc' })).toContain('LDAP_BIND_DN: LDAP_BIND_DN and LDAP_BIND_PASSWORD must be set together');
    expect(issues({ ...ldap, LDAP_USER_FILTER: '(uid=*)' })).toContain('LDAP_USER_FILTER: must contain {login}');
    expect(issues({ ...ldap, LDAP_GROUP_MEMBERSHIP: 'nested' })).toContain('LDAP_GROUP_BASE: required with LDAP_GROUP_MEMBERSHIP=search or nested');
  });

  it('refuses to limit local sign-in when there is no directory to sign in with', () => {
    expect(issues({ LOCAL_LOGIN: 'off' })).toContain('LOCAL_LOGIN: admins or off needs OIDC_ISSUER_URL or LDAP_URL (otherwise nobody could sign in)');
    expect(issues({ LOCAL_LOGIN: 'admins', OIDC_ISSUER_URL: 'https://idp.example.test', OIDC_CLIENT_ID: 'onsite' })).toEqual([]);
    expect(issues({ MFA_REQUIRED: 'sometimes' }).some((i) => i.startsWith('MFA_REQUIRED'))).toBe(true);
  });

  it('reads the client secret and bind password from _FILE and never prints them', () => {
    const file = join(tmp.dir, 'oidc-secret');
    writeFileSync(file, 'the-client-secret-value\n');
    const c = loadConfig(
      validEnv(tmp.dir, {
        OIDC_ISSUER_URL: 'https://idp.example.test',
        OIDC_CLIENT_ID: 'onsite',
        OIDC_CLIENT_SECRET_FILE: file,
        LDAP_URL: 'ldaps://dc.example.test',
        LDAP_USER_BASE: 'dc=example,dc=test',
        LDAP_BIND_DN: 'cn=svc,dc=example,dc=test',
        LDAP_BIND_PASSWORD: 'the-bind-password',
      }),
    );
    expect(c.OIDC_CLIENT_SECRET).toBe('the-client-secret-value');
    expect(secretValues(c)).toEqual(expect.arrayContaining(['the-client-secret-value', 'the-bind-password']));
    const printed = JSON.stringify(redactedConfig(c));
    expect(printed).not.toContain('the-client-secret-value');
    expect(printed).not.toContain('the-bind-password');
  });
});
