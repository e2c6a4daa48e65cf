import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { AppError } from '../server/kernel/errors.ts';
import { secretProblem } from '../server/kernel/secrets.ts';
import { parseAllowList, type AllowList } from './guard/allow-list.ts';

/** Environment variables as the process sees them. */
export type Env = Record<string, string | undefined>;

/** The sidecar's one secret. */
export const TOKEN_KEY = 'BROWSER_SERVICE_AUTH_TOKEN';

const int = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);
const seconds = (def: number, min: number, max: number) => z.coerce.number().min(min).max(max).default(def);
const flag = z
  .enum(['0', '1', 'true', 'false'])
  .default('0')
  .transform((v) => v === '1' || v === 'true');

// One schema per variable, checked on its own, so a start-up error lists every bad key at once.
const fields = {
  PORT: int(9020, 0, 65535), // 0: any free port (tests)
  HOST: z.string().min(1).default('0.0.0.0'),
  // The same rules as the server's secrets, so a token init generated passes both.
  [TOKEN_KEY]: z
    .string({ error: 'is required (at least 32 characters; init.sh generates it)' })
    .max(512, 'too long (at most 512 characters)')
    .superRefine((v, ctx) => {
      const problem = secretProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  CHROME_PATH: z.string().min(1).default('/usr/bin/chromium'),
  BROWSER_SERVICE_POOL_SIZE: int(6, 1, 64),
  BROWSER_SESSION_MAX_COUNT: int(12, 1, 256),
  BROWSER_SERVICE_POOL_WAIT_SECONDS: seconds(5, 0, 300),
  BROWSER_SERVICE_FETCH_WAIT_SECONDS: seconds(0.4, 0, 10),
  BROWSER_SERVICE_ALLOWED_INTERNAL_HOSTS: z.string().default(''),
  NO_EXTERNAL_EGRESS: flag,
  BROWSER_FETCH_TIMEOUT_SECONDS: seconds(20, 1, 300),
  BROWSER_MAX_REDIRECTS: int(5, 0, 20),
  BROWSER_MAX_PAGE_MB: seconds(10, 0.01, 256),
  BROWSER_SESSION_MAX_USES: int(50, 1, 100_000),
  /** DNS servers (`ip[:port]`, comma-separated) asked directly instead of the system resolver. */
  BROWSER_SERVICE_DNS_SERVERS: z.string().default(''),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

type Fields = { [K in keyof typeof fields]: z.infer<(typeof fields)[K]> };

/** The sidecar's validated, frozen configuration. */
export type BrowserConfig = Readonly<Fields & { allow: AllowList; dnsServers: string[] }>;

/**
 * Parses and validates the sidecar's configuration at once. Throws an
 * AppError `config_invalid` listing every bad key (never a value).
 * `BROWSER_SERVICE_AUTH_TOKEN_FILE` may hold the token (docker secrets).
 */
export function loadBrowserConfig(env: Env): BrowserConfig {
  const issues: string[] = [];
  const resolved: Env = { ...env };
  const file = env[`${TOKEN_KEY}_FILE`];
  if (file) {
    if (env[TOKEN_KEY]) issues.push(`${TOKEN_KEY}_FILE: set either ${TOKEN_KEY} or ${TOKEN_KEY}_FILE, not both`);
    else {
      try {
        resolved[TOKEN_KEY] = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
      } catch (err) {
        issues.push(`${TOKEN_KEY}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      }
    }
  }
  const values: Partial<Record<keyof Fields, unknown>> = {};
  for (const [key, field] of Object.entries(fields) as Array<[keyof Fields, z.ZodType]>) {
    const r = field.safeParse(resolved[key] === '' ? undefined : resolved[key]);
    if (r.success) values[key] = r.data;
    else for (const issue of r.error.issues) issues.push(`${key}: ${issue.message}`);
  }
  const v = values as Fields;
  if (
    typeof v.BROWSER_SERVICE_POOL_SIZE === 'number' &&
    typeof v.BROWSER_SESSION_MAX_COUNT === 'number' &&
    v.BROWSER_SESSION_MAX_COUNT < v.BROWSER_SERVICE_POOL_SIZE
  ) {
    issues.push('BROWSER_SESSION_MAX_COUNT: must be at least BROWSER_SERVICE_POOL_SIZE');
  }
  let allow: AllowList | undefined;
  try {
    allow = parseAllowList(v.BROWSER_SERVICE_ALLOWED_INTERNAL_HOSTS ?? '');
  } catch (err) {
    issues.push(`BROWSER_SERVICE_ALLOWED_INTERNAL_HOSTS: ${(err as Error).message}`);
  }
  const dnsServers = (v.BROWSER_SERVICE_DNS_SERVERS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of dnsServers)
    if (!/^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-f:]+\])(:\d{1,5})?$/i.test(s)) issues.push(`BROWSER_SERVICE_DNS_SERVERS: not an address: ${s}`);
  if (issues.length > 0) throw new AppError('config_invalid', `invalid browser sidecar configuration:\n  - ${issues.join('\n  - ')}`, { issues });
  return Object.freeze({ ...v, allow: allow!, dnsServers });
}
