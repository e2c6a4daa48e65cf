import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { isIP } from 'node:net';
import { AppError } from './kernel/errors.ts';
import { formatHost, parseHost } from './kernel/host-names.ts';
import { addressRangeProblem } from './kernel/address-ranges.ts';
import { isLoopbackHost, isLoopbackOrPrivate } from './kernel/net-ranges.ts';

// URL hostnames keep IPv6 brackets; addresses checks need them off.
const urlHost = (url: string) => new URL(url).hostname.replace(/^\[|\]$/g, '');

/** Secrets the server cannot start without. */
export const REQUIRED_SECRETS = ['SESSION_SECRET', 'DB_ENCRYPTION_KEY', 'MINER_ENROLLMENT_SECRET', 'BROWSER_SERVICE_AUTH_TOKEN'] as const;

/** Secrets that may be absent but, when set, obey the same rules. */
export const OPTIONAL_SECRETS = ['ONSITE_BOOTSTRAP_TOKEN', 'METRICS_TOKEN'] as const;

/** Credentials for other systems: never printed, but not ours to generate, so not held to our rules. */
export const EXTERNAL_SECRETS = ['OPENAI_API_KEY', 'OIDC_CLIENT_SECRET', 'LDAP_BIND_PASSWORD'] as const;

/**
 * Comma-separated lists of retired secrets, each held to the rules of a
 * secret: the keys DB_ENCRYPTION_KEY replaced, still accepted for opening
 * stored secrets until `onsite admin rotate-key` has re-sealed them.
 */
export const SECRET_LISTS = ['DB_ENCRYPTION_KEY_PREVIOUS'] as const;

/** Most retired encryption keys kept at once. */
export const MAX_PREVIOUS_KEYS = 8;

/** Every variable whose value must never be printed or logged. */
export const SECRET_KEYS: readonly string[] = [...REQUIRED_SECRETS, ...OPTIONAL_SECRETS, ...EXTERNAL_SECRETS, ...SECRET_LISTS];

import { secretProblem } from './kernel/secrets.ts';

export { MIN_SECRET_LENGTH, secretProblem } from './kernel/secrets.ts';

const int = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);
const flag = z
  .enum(['0', '1', 'true', 'false'])
  .default('0')
  .transform((v) => v === '1' || v === 'true');
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === '' ? undefined : v));
const httpUrl = (def: string) =>
  z
    .string()
    .default(def)
    .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'must be an http(s) URL');

const secret = z.string().optional();
const listEntries = (v: string | undefined) =>
  (v ?? '')
    .split(/[,\r\n]+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
const secretList = z
  .string()
  .optional()
  .transform(listEntries)
  .refine((list) => list.length <= MAX_PREVIOUS_KEYS, `at most ${MAX_PREVIOUS_KEYS} keys`);

// Comma-separated `name` or `name:port` entries, each normalized the way requests name hosts.
const hostList = z
  .string()
  .default('')
  .transform((v, ctx) =>
    v
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean)
      .flatMap((entry, i) => {
        const host = parseHost(entry);
        if (!host)
          ctx.addIssue({ code: 'custom', message: `entry ${i + 1} is not a host name or address with an optional :port (no scheme, path or wildcard)` });
        return host ? [formatHost(host)] : [];
      }),
  );

// A comma- or space-separated list of addresses and CIDR ranges; empty: none.
const addressList = z
  .string()
  .default('')
  .transform((v) => v.split(/[\s,]+/).filter(Boolean))
  .superRefine((entries, ctx) => {
    for (const e of entries) {
      const problem = addressRangeProblem(e);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }
  });

// Compose passes an unset variable as an empty string: for these, empty means the default.
const emptyIsUnset = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema);

// A comma-separated list of directory group names (OIDC group claims, LDAP group CNs or DNs); empty: none.
const groupList = z
  .string()
  .default('')
  .transform((v) =>
    v
      .split(/[,\r\n]+/)
      .map((g) => g.trim())
      .filter(Boolean),
  );
const claimName = (def: string) =>
  emptyIsUnset(
    z
      .string()
      .default(def)
      .refine((v) => /^[A-Za-z0-9_:./-]{1,100}$/.test(v), 'must be a claim name (letters, digits and _ : . / -)'),
  );
const attributeName = (def: string) =>
  emptyIsUnset(
    z
      .string()
      .default(def)
      .refine((v) => /^[A-Za-z][A-Za-z0-9-]{0,63}$/.test(v), 'must be an LDAP attribute name'),
  );
const ldapUrl = optionalString.refine(
  (v) => v === undefined || (URL.canParse(v) && /^ldaps?:$/.test(new URL(v).protocol)),
  'must be an ldap:// or ldaps:// URL',
);

// One schema per variable: each is checked on its own, so a start-up error
// lists every bad key at once rather than stopping at the first.
const fields = {
  APP_BASE_URL: httpUrl('http://localhost:8000'),
  ALLOWED_HOSTS: hostList, // more names than APP_BASE_URL's host that browsers and miners may use
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: int(8000, 0, 65535), // 0: any free port (tests)
  TLS_PORT: int(8443, 0, 65535),
  TLS_CERT_PATH: optionalString,
  TLS_KEY_PATH: optionalString,
  ONSITE_DATA_DIR: z.string().min(1).default('./data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SESSION_SECRET: secret,
  DB_ENCRYPTION_KEY: secret,
  DB_ENCRYPTION_KEY_PREVIOUS: secretList,
  ONSITE_BOOTSTRAP_TOKEN: secret,
  MINER_ENROLLMENT_SECRET: secret,
  BROWSER_SERVICE_AUTH_TOKEN: secret,
  METRICS_TOKEN: secret,
  BROWSER_SERVICE_URL: httpUrl('http://browser:9020'),
  BROWSER_CLIENT_CONCURRENCY: int(6, 1, 100),
  BROWSER_CLIENT_WAIT_SECONDS: int(10, 0, 300),
  BROWSER_CLIENT_TIMEOUT_SECONDS: int(30, 1, 600),
  NO_EXTERNAL_EGRESS: flag,
  MAX_JSON_MB: int(10, 1, 1024),
  MAX_UPLOAD_MB: int(25, 1, 4096),
  RATE_LIMIT_PER_MINUTE: int(120, 1, 100_000),
  // Reverse proxies whose X-Forwarded-For is believed; empty: the header is never read.
  TRUSTED_PROXIES: addressList,
  MAX_CONCURRENT_STREAMS: int(50, 1, 10_000),
  AUTH_IDLE_TIMEOUT_MINUTES: int(30, 1, 24 * 60),
  SESSION_MAX_HOURS: int(24, 1, 24),
  // Reading one uploaded document (server/knowledge/extract/limits.ts): a part of an archive and
  // all its parts inflated, characters of text, the reading process's heap and its time.
  EXTRACT_MAX_PART_MB: int(8, 1, 1024),
  EXTRACT_MAX_TOTAL_MB: int(24, 1, 4096),
  EXTRACT_MAX_CHARS: int(5_000_000, 1_000, 1_000_000_000),
  EXTRACT_MEMORY_MB: int(768, 64, 65_536),
  EXTRACT_TIMEOUT_S: int(60, 1, 3600),
  CHUNK_SIZE_TOKENS: int(512, 64, 8192),
  CHUNK_OVERLAP_TOKENS: int(64, 0, 4096),
  VECTOR_TOP_K: int(5, 1, 100),
  MINER_HEARTBEAT_INTERVAL: int(15, 1, 3600),
  MINER_QUEUE_SYNC_WAIT_S: int(60, 1, 3600),
  MINER_FIRST_TOKEN_TIMEOUT_S: int(30, 1, 3600), // a chat job silent this long moves on; its miner goes on probation
  BACKUP_RETENTION_DAYS: int(14, 1, 3650),
  SHUTDOWN_TIMEOUT_S: int(10, 1, 300),
  TOKEN_BUDGET_DAILY: int(0, 0, 1_000_000_000_000), // 0: no budget
  TOKEN_BUDGET_MONTHLY: int(0, 0, 1_000_000_000_000),
  ORCH_MODEL_BACKEND: z.enum(['miners', 'openai']).default('miners'),
  OPENAI_BASE_URL: optionalString.refine((v) => v === undefined || (URL.canParse(v) && /^https?:$/.test(new URL(v).protocol)), 'must be an http(s) URL'),
  OPENAI_API_KEY: optionalString,
  // Enterprise sign-in (server/auth/sso-*, server/auth/ldap-*): OpenID Connect, LDAP, MFA and local sign-in.
  OIDC_ISSUER_URL: optionalString.refine((v) => v === undefined || (URL.canParse(v) && /^https?:$/.test(new URL(v).protocol)), 'must be an http(s) URL'),
  OIDC_CLIENT_ID: optionalString,
  OIDC_CLIENT_SECRET: optionalString,
  OIDC_SCOPES: emptyIsUnset(z.string().default('openid email profile')),
  OIDC_DISPLAY_NAME: emptyIsUnset(z.string().trim().min(1).max(60).default('single sign-on')),
  OIDC_EMAIL_CLAIM: claimName('email'),
  OIDC_NAME_CLAIM: claimName('name'),
  OIDC_GROUPS_CLAIM: claimName('groups'),
  OIDC_ADMIN_GROUPS: groupList,
  OIDC_ALLOWED_GROUPS: groupList, // empty: everyone the provider signs in
  OIDC_USERINFO: flag, // also read claims from the userinfo endpoint
  OIDC_DISCOVERY_FILE: optionalString, // air-gapped: the provider's metadata, instead of discovery
  OIDC_JWKS_FILE: optionalString, // air-gapped: the provider's signing keys, instead of its jwks_uri
  OIDC_CLOCK_SKEW_S: int(30, 0, 300),
  // Directory sessions (OIDC, LDAP) end after this so group rules are checked again at the next sign-in.
  SSO_RECHECK_MINUTES: int(60, 5, 24 * 60),
  LDAP_URL: ldapUrl,
  LDAP_CA_FILE: optionalString,
  LDAP_ALLOW_PLAINTEXT: flag,
  LDAP_BIND_DN: optionalString,
  LDAP_BIND_PASSWORD: optionalString,
  LDAP_USER_BASE: optionalString,
  LDAP_USER_FILTER: emptyIsUnset(z.string().default('(|(uid={login})(mail={login})(sAMAccountName={login})(userPrincipalName={login}))')),
  LDAP_EMAIL_ATTRIBUTE: attributeName('mail'),
  LDAP_NAME_ATTRIBUTE: attributeName('cn'),
  LDAP_GROUP_BASE: optionalString,
  LDAP_GROUP_MEMBERSHIP: emptyIsUnset(z.enum(['memberOf', 'search', 'nested']).default('memberOf')),
  LDAP_GROUP_FILTER: emptyIsUnset(z.string().default('(|(member={dn})(uniqueMember={dn}))')),
  // An entry that matches this is a disabled account (AD's ACCOUNTDISABLE bit, OpenLDAP ppolicy's lock).
  LDAP_DISABLED_FILTER: emptyIsUnset(z.string().default('(|(userAccountControl:1.2.840.113556.1.4.803:=2)(pwdAccountLockedTime=*))')),
  LDAP_ADMIN_GROUPS: groupList,
  LDAP_ALLOWED_GROUPS: groupList,
  LDAP_TIMEOUT_S: int(5, 1, 60),
  LDAP_SYNC_MINUTES: int(60, 0, 7 * 24 * 60), // 0: no periodic sync (onsite admin ldap-sync still works)
  // Who may make org-wide collections: admins, or every user (who may then change the ones they made).
  ORG_COLLECTIONS_BY: emptyIsUnset(z.enum(['admins', 'users']).default('admins')),
  MFA_REQUIRED: emptyIsUnset(z.enum(['admins', 'all', 'off']).default('admins')),
  LOCAL_LOGIN: emptyIsUnset(z.enum(['all', 'admins', 'off']).default('all')),
};

type Fields = { [K in keyof typeof fields]: z.infer<(typeof fields)[K]> };

// Rules between variables, checked where each of them is valid on its own.
function crossFieldProblems(c: Partial<Fields>): string[] {
  const problems: string[] = [];
  if (c.CHUNK_OVERLAP_TOKENS !== undefined && c.CHUNK_SIZE_TOKENS !== undefined && c.CHUNK_OVERLAP_TOKENS >= c.CHUNK_SIZE_TOKENS)
    problems.push('CHUNK_OVERLAP_TOKENS: must be smaller than CHUNK_SIZE_TOKENS');
  if (c.EXTRACT_MAX_PART_MB !== undefined && c.EXTRACT_MAX_TOTAL_MB !== undefined && c.EXTRACT_MAX_PART_MB > c.EXTRACT_MAX_TOTAL_MB)
    problems.push('EXTRACT_MAX_PART_MB: must not be larger than EXTRACT_MAX_TOTAL_MB');
  if (c.ORCH_MODEL_BACKEND === 'openai' && !c.OPENAI_BASE_URL) problems.push('OPENAI_BASE_URL: required when ORCH_MODEL_BACKEND=openai');
  if (
    c.NO_EXTERNAL_EGRESS &&
    c.ORCH_MODEL_BACKEND === 'openai' &&
    c.OPENAI_BASE_URL &&
    isIP(urlHost(c.OPENAI_BASE_URL)) &&
    !isLoopbackOrPrivate(urlHost(c.OPENAI_BASE_URL))
  ) {
    problems.push('OPENAI_BASE_URL: NO_EXTERNAL_EGRESS=1 allows only loopback or private addresses');
  }
  if (c.NO_EXTERNAL_EGRESS && c.BROWSER_SERVICE_URL && isIP(urlHost(c.BROWSER_SERVICE_URL)) && !isLoopbackOrPrivate(urlHost(c.BROWSER_SERVICE_URL))) {
    problems.push('BROWSER_SERVICE_URL: NO_EXTERNAL_EGRESS=1 allows only loopback or private addresses');
  }
  problems.push(...signInProblems(c));
  if (Boolean(c.TLS_CERT_PATH) !== Boolean(c.TLS_KEY_PATH)) problems.push('TLS_CERT_PATH: TLS_CERT_PATH and TLS_KEY_PATH must be set together');
  return problems;
}

// OIDC and LDAP settings that only make sense together.
function signInProblems(c: Partial<Fields>): string[] {
  const problems: string[] = [];
  const oidc = Boolean(c.OIDC_ISSUER_URL || c.OIDC_CLIENT_ID || c.OIDC_DISCOVERY_FILE);
  if (oidc && !c.OIDC_CLIENT_ID) problems.push('OIDC_CLIENT_ID: required with OIDC_ISSUER_URL');
  if (oidc && !c.OIDC_ISSUER_URL) problems.push('OIDC_ISSUER_URL: required with OIDC_CLIENT_ID');
  if (c.OIDC_ISSUER_URL && new URL(c.OIDC_ISSUER_URL).protocol === 'http:' && !isLoopbackHost(urlHost(c.OIDC_ISSUER_URL)))
    problems.push('OIDC_ISSUER_URL: must be https:// (plain http only to a provider on this machine)');
  if (c.OIDC_JWKS_FILE && !c.OIDC_DISCOVERY_FILE)
    problems.push('OIDC_JWKS_FILE: needs OIDC_DISCOVERY_FILE (an air-gapped site has neither discovery nor key fetching)');
  if (c.OIDC_SCOPES !== undefined && oidc && !c.OIDC_SCOPES.split(/\s+/).includes('openid')) problems.push('OIDC_SCOPES: must include openid');
  if (c.LDAP_URL) {
    for (const key of ['LDAP_USER_BASE'] as const) if (!c[key]) problems.push(`${key}: required with LDAP_URL`);
    if (Boolean(c.LDAP_BIND_DN) !== Boolean(c.LDAP_BIND_PASSWORD)) problems.push('LDAP_BIND_DN: LDAP_BIND_DN and LDAP_BIND_PASSWORD must be set together');
    if (!c.LDAP_USER_FILTER?.includes('{login}')) problems.push('LDAP_USER_FILTER: must contain {login}');
    if (c.LDAP_GROUP_MEMBERSHIP !== 'memberOf' && !c.LDAP_GROUP_BASE) problems.push('LDAP_GROUP_BASE: required with LDAP_GROUP_MEMBERSHIP=search or nested');
  }
  if (c.LOCAL_LOGIN !== undefined && c.LOCAL_LOGIN !== 'all' && !oidc && !c.LDAP_URL)
    problems.push('LOCAL_LOGIN: admins or off needs OIDC_ISSUER_URL or LDAP_URL (otherwise nobody could sign in)');
  return problems;
}

function secretProblems(env: Env): string[] {
  const problems: string[] = [];
  for (const key of REQUIRED_SECRETS) {
    const problem = secretProblem(env[key]);
    if (problem) problems.push(`${key}: ${problem}`);
  }
  for (const key of OPTIONAL_SECRETS) {
    const value = env[key];
    const problem = value === undefined || value === '' ? undefined : secretProblem(value);
    if (problem) problems.push(`${key}: ${problem}`);
  }
  for (const key of SECRET_LISTS) {
    listEntries(env[key]).forEach((value, i) => {
      const problem = secretProblem(value);
      if (problem) problems.push(`${key}: entry ${i + 1} ${problem}`);
    });
  }
  return problems;
}

type Parsed = Fields;

/** The server's validated, frozen configuration. */
export type Config = Readonly<
  Omit<Parsed, (typeof REQUIRED_SECRETS)[number]> & { [K in (typeof REQUIRED_SECRETS)[number]]: string } & {
    /** Absolute data directory. */
    dataDir: string;
    /** Absolute path of the SQLite database. */
    dbPath: string;
    /** True when started with development secrets (`serve --dev`). */
    dev: boolean;
  }
>;

/** Environment variables as the process sees them. */
export type Env = Record<string, string | undefined>;

/**
 * Applies `NAME_FILE` for every secret: the file's content (without a final
 * newline) replaces `NAME`, as docker secrets expect. Unreadable files are
 * reported by name.
 */
export function resolveSecretFiles(env: Env): { env: Env; problems: string[] } {
  const out: Env = { ...env };
  const problems: string[] = [];
  for (const key of SECRET_KEYS) {
    const file = env[`${key}_FILE`];
    if (!file) continue;
    try {
      out[key] = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      problems.push(`${key}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  return { env: out, problems };
}

/**
 * Parses and validates the whole configuration at once. Throws an
 * {@link AppError} `config_invalid` listing every bad key (never a value).
 */
export function loadConfig(env: Env, options: { dev?: boolean } = {}): Config {
  const { env: resolved, problems } = resolveSecretFiles(env);
  const issues = [...problems];
  const values: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(fields)) {
    const r = field.safeParse(resolved[key]);
    if (r.success) values[key] = r.data;
    else for (const issue of r.error.issues) issues.push(`${key}: ${issue.message}`);
  }
  issues.push(...secretProblems(resolved));
  issues.push(...crossFieldProblems(values));
  if (issues.length > 0) {
    throw new AppError('config_invalid', `invalid configuration:\n  - ${issues.join('\n  - ')}`, { issues });
  }
  const result = { data: values as Parsed };
  const dataDir = resolve(result.data.ONSITE_DATA_DIR);
  return Object.freeze({
    ...(result.data as Parsed & { [K in (typeof REQUIRED_SECRETS)[number]]: string }),
    dataDir,
    dbPath: resolve(dataDir, 'onsite.db'),
    dev: options.dev ?? false,
  });
}

/** The values of every secret that is set (each key of a list on its own), for log scrubbing. */
export function secretValues(config: Config): string[] {
  return SECRET_KEYS.flatMap((k) => (config as unknown as Record<string, string | string[] | undefined>)[k] ?? []).filter(
    (v): v is string => typeof v === 'string' && v.length > 0,
  );
}

/** The configuration with every secret replaced by `[set]`, `[N set]` (a list) or `[unset]`, for printing. */
export function redactedConfig(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    if (!SECRET_KEYS.includes(k)) out[k] = v;
    else if (Array.isArray(v)) out[k] = v.length > 0 ? `[${v.length} set]` : '[unset]';
    else out[k] = v ? '[set]' : '[unset]';
  }
  return out;
}
