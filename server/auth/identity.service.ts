import type { AuditService } from '../audit/audit.service.ts';
import type { Orm } from '../db/client.ts';
import type { Clock } from '../kernel/clock.ts';
import type { Log } from '../kernel/log.ts';
import type { FeatureGate } from '../kernel/features.ts';
import type { SecretsService } from '../secrets/secrets.service.ts';
import { createAccountService } from './account.service.ts';
import { createDirectoryAccounts, type GroupSync } from './directory-accounts.service.ts';
import { createIdentitiesStore } from './identities.store.ts';
import { createOidc, type OidcSettings, type OidcSettingsView } from './oidc.service.ts';
import { createKeyService } from './keys.service.ts';
import { createKeysStore } from './keys.store.ts';
import type { GroupRules } from './group-rules.ts';
import { createLdapDirectory, type LdapSettings } from './ldap-directory.ts';
import { createLdapLogin } from './ldap-login.service.ts';
import { createLdapSync } from './ldap-sync.service.ts';
import { createLoginService } from './login.service.ts';
import { createMfaService } from './mfa.service.ts';
import { createMfaStore } from './mfa.store.ts';
import type { MfaPolicy } from './mfa.types.ts';
import { createOneTimeLinks } from './one-time-links.service.ts';
import { createSessionService } from './sessions.service.ts';
import { createSessionsStore } from './sessions.store.ts';
import { createSetupService } from './setup.service.ts';
import { createSignInChallenges } from './sign-in-challenges.service.ts';
import { createChallengesStore } from './sign-in-challenges.store.ts';
import { createSignInThrottle } from './sign-in-throttle.service.ts';
import { createThrottleStore } from './sign-in-throttle.store.ts';
import { createTokensStore } from './one-time-links.store.ts';
import { createUserService, type SeatPolicy } from './users.service.ts';
import { createUsersStore } from './users.store.ts';

/** Settings the identity services take from the configuration. */
export interface IdentitySettings {
  bootstrapToken: string | undefined;
  sessionSecret: string;
  idleMinutes: number;
  maxHours: number;
  baseUrl: string;
  /** Minutes a directory (OIDC, LDAP) session lasts before the directory is asked again. */
  recheckMinutes: number;
  /** LOCAL_LOGIN: which local accounts may sign in with a local password once a directory is configured. */
  localLogin: 'all' | 'admins' | 'off';
  /** Who must have a second factor on a local account (MFA_REQUIRED); 'admins' when not given, as in the configuration. */
  mfaRequired?: MfaPolicy | undefined;
  /** Which groups may use API keys (the groups feature); absent: everyone. */
  features?: FeatureGate | undefined;
  /** The groups synced from directories, kept up to date at each directory sign-in and sync. */
  groupSync?: GroupSync | undefined;
  /** OpenID Connect, when OIDC_ISSUER_URL is set. */
  oidc?: OidcSettings | undefined;
  /** LDAP sign-in, when LDAP_URL is set: the directory and its group rules. */
  ldap?: { settings: LdapSettings; rules: GroupRules } | undefined;
  log?: Log | undefined;
}

/** The sign-in settings as admins see them. */
export interface SignInSettingsView {
  localLogin: IdentitySettings['localLogin'];
  /** What LOCAL_LOGIN amounts to now (off acts as admins while no admin has a directory identity). */
  localLoginEffective: IdentitySettings['localLogin'];
  mfaRequired: MfaPolicy;
  recheckMinutes: number;
  oidc?: OidcSettingsView | undefined;
  ldap?: LdapSettingsView | undefined;
}

/** The LDAP settings as the admin page shows them: never the bind password. */
export interface LdapSettingsView {
  url: string;
  /** How accounts name this directory (the issuer of their LDAP identities). */
  issuer: string;
  transport: 'ldaps' | 'starttls' | 'plaintext';
  caFile: string | null;
  bindDn: string | null;
  bindPassword: 'set' | 'unset';
  userBase: string;
  userFilter: string;
  attributes: { email: string; name: string };
  groupMembership: LdapSettings['groupMembership'];
  groupBase: string | null;
  adminGroups: readonly string[];
  allowedGroups: readonly string[];
  timeoutS: number;
}

function ldapView(l: { settings: LdapSettings; rules: GroupRules }, issuer: string): LdapSettingsView {
  const s = l.settings;
  return {
    url: s.url,
    issuer,
    transport: s.url.startsWith('ldaps:') ? 'ldaps' : s.allowPlaintext ? 'plaintext' : 'starttls',
    caFile: s.caFile ?? null,
    bindDn: s.bindDn ?? null,
    bindPassword: s.bindPassword ? 'set' : 'unset',
    userBase: s.userBase,
    userFilter: s.userFilter,
    attributes: { email: s.emailAttribute, name: s.nameAttribute },
    groupMembership: s.groupMembership,
    groupBase: s.groupBase ?? null,
    adminGroups: l.rules.adminGroups,
    allowedGroups: l.rules.allowedGroups,
    timeoutS: s.timeoutS,
  };
}

// Without the stored-secrets service no authenticator secret can be kept: enrolment refuses.
const NO_SECRETS: Pick<SecretsService, 'get' | 'put' | 'remove'> = {
  get: () => undefined,
  put: () => {
    throw new Error('MFA enrolment needs the stored-secrets service (createIdentity without secrets)');
  },
  remove: () => false,
};

/**
 * Builds the identity services (setup, sign-in, MFA, sessions, accounts,
 * keys) from their stores; each records to the audit log. `secrets` seals
 * the TOTP secrets (DB_ENCRYPTION_KEY).
 */
export function createIdentity(
  orm: Orm,
  clock: Clock,
  audit: AuditService,
  s: IdentitySettings,
  seats?: SeatPolicy,
  secrets: Pick<SecretsService, 'get' | 'put' | 'remove'> = NO_SECRETS,
) {
  const users = createUsersStore(orm);
  const sessions = createSessionService({
    sessions: createSessionsStore(orm),
    users,
    clock,
    policy: { idleMinutes: s.idleMinutes, maxHours: s.maxHours, secret: s.sessionSecret },
  });
  const links = createOneTimeLinks({ tokens: createTokensStore(orm), clock, baseUrl: s.baseUrl });
  const throttle = createSignInThrottle({ store: createThrottleStore(orm), clock });
  const mfaStore = createMfaStore(orm);
  const mfa = createMfaService({ store: mfaStore, users, secrets, sessions, throttle, audit, clock, policy: s.mfaRequired ?? 'admins' });
  const challenges = createSignInChallenges({ store: createChallengesStore(orm), users, mfa, sessions, audit, clock });
  const keys = createKeyService({ keys: createKeysStore(orm), users, audit, clock, features: s.features });
  const directory = createDirectoryAccounts({
    users,
    identities: createIdentitiesStore(orm),
    sessions,
    audit,
    clock,
    seats,
    recheckMinutes: s.recheckMinutes,
    groupSync: s.groupSync,
  });
  const oidc = s.oidc ? createOidc({ settings: s.oidc, directory, audit, clock, log: s.log }) : undefined;
  const ldapDirectory = s.ldap ? createLdapDirectory(s.ldap.settings) : undefined;
  const ldap = ldapDirectory && s.ldap ? createLdapLogin({ directory: ldapDirectory, accounts: directory, rules: s.ldap.rules, audit }) : undefined;
  const login = createLoginService({
    users,
    throttle,
    sessions,
    audit,
    secondFactor: { enabled: mfa.enabled, issue: challenges.issue },
    directory: { ldap, localLogin: s.localLogin, hasDirectoryAdmin: directory.hasDirectoryAdmin, log: s.log },
  });
  return {
    audit,
    sessions,
    directory,
    /** LDAP sign-in and its sync; undefined without LDAP_URL. */
    ldap:
      ldap && ldapDirectory && s.ldap ? { ...ldap, sync: createLdapSync({ directory: ldapDirectory, accounts: directory, rules: s.ldap.rules }) } : undefined,
    oidc,
    /** How people sign in here, for the admin page: never a secret. */
    signInSettings: (): SignInSettingsView => ({
      localLogin: s.localLogin,
      // LOCAL_LOGIN=off never locks everyone out: while no admin can sign in through a directory, local admins still can.
      localLoginEffective: s.localLogin === 'off' && !directory.hasDirectoryAdmin() ? 'admins' : s.localLogin,
      mfaRequired: s.mfaRequired ?? 'admins',
      recheckMinutes: s.recheckMinutes,
      oidc: oidc?.describe(),
      ldap: s.ldap && ldapDirectory ? ldapView(s.ldap, ldapDirectory.issuer) : undefined,
    }),
    login,
    mfa,
    challenges,
    setup: createSetupService({ users, audit, clock, bootstrapToken: s.bootstrapToken }),
    users: createUserService({ users, sessions, links, audit, clock, mfaEnabled: mfa.enabledUserIds, ...(seats ? { seats } : {}) }),
    account: createAccountService({ users, sessions, keys, links, login, audit, clock }),
    keys,
  };
}

/** The identity services. */
export type Identity = ReturnType<typeof createIdentity>;
