import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { AppError } from '../server/kernel/errors.ts';
import { workerIdSchema } from '../server/kernel/protocol/miner.ts';
import { identityPath } from './state.ts';

/** The miner's two credentials: exactly one is needed to enroll, and neither is ever printed. */
export const MINER_SECRET_KEYS = ['MINER_ENROLLMENT_SECRET', 'MINER_REGISTRATION_TOKEN'] as const;

/** Environment variables as the process sees them. */
export type Env = Record<string, string | undefined>;

const int = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);

const httpUrl = (def: string) =>
  z
    .string()
    .default(def)
    // Ollama's own OLLAMA_HOST convention allows `host:port` without a scheme.
    .transform((v) => (v.includes('://') ? v : `http://${v}`))
    .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'must be an http(s) URL')
    .transform((v) => v.replace(/\/+$/, ''));

const optionalSecret = z
  .string()
  .max(512, 'too long (at most 512 characters)')
  .optional()
  .transform((v) => (v === '' ? undefined : v));

const modelList = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(',')
      .map((m) => m.trim())
      .filter((m) => m.length > 0),
  )
  .refine((list) => list.every((m) => m.length <= 200 && !/\s/.test(m)), 'model names have no spaces and at most 200 characters')
  .transform((list) => (list.length > 0 ? list : undefined));

// One schema per variable, checked on its own, so a start-up error lists
// every bad key at once instead of stopping at the first.
const fields = {
  SERVER_URL: httpUrl('http://server:8000'),
  OLLAMA_HOST: httpUrl('http://ollama:11434'),
  MODELS: modelList,
  WORKER_ID: workerIdSchema.default(() => defaultWorkerId()),
  MINER_STATE_DIR: z.string().min(1).default('./miner-state'),
  MINER_HEARTBEAT_INTERVAL: int(15, 1, 3600),
  MINER_ENROLLMENT_SECRET: optionalSecret,
  MINER_REGISTRATION_TOKEN: optionalSecret,
  MINER_CAPACITY: int(4, 1, 1024),
  PORT: int(8080, 0, 65535), // 0: any free port (tests)
  HOST: z.string().min(1).default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

type Fields = { [K in keyof typeof fields]: z.infer<(typeof fields)[K]> };

/** The miner's validated, frozen configuration. */
export type MinerConfig = Readonly<Fields & { /** Absolute state folder. */ stateDir: string }>;

/** The host name reduced to what a worker id allows, so the default is always valid. */
export function defaultWorkerId(name: string = hostname()): string {
  const cleaned = name
    .replace(/[^A-Za-z0-9._:-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
  return cleaned.length > 0 ? cleaned : 'miner';
}

// NAME_FILE replaces NAME with the file's content, as docker secrets expect.
function resolveSecretFiles(env: Env): { env: Env; problems: string[] } {
  const out: Env = { ...env };
  const problems: string[] = [];
  for (const key of MINER_SECRET_KEYS) {
    const file = env[`${key}_FILE`];
    if (!file) continue;
    if (env[key]) {
      problems.push(`${key}_FILE: set either ${key} or ${key}_FILE, not both`);
      continue;
    }
    try {
      out[key] = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      problems.push(`${key}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  return { env: out, problems };
}

// Exactly one credential, unless an identity is already saved (a restart).
function credentialProblems(values: Partial<Fields>, stateDir: string | undefined): string[] {
  const secret = values.MINER_ENROLLMENT_SECRET;
  const token = values.MINER_REGISTRATION_TOKEN;
  if (secret !== undefined && token !== undefined) {
    return ['MINER_ENROLLMENT_SECRET: set MINER_ENROLLMENT_SECRET (bundled miner) or MINER_REGISTRATION_TOKEN (remote miner), not both'];
  }
  if (secret === undefined && token === undefined && stateDir !== undefined && !existsSync(identityPath(stateDir))) {
    return [
      `MINER_ENROLLMENT_SECRET: no saved identity in ${stateDir}; set MINER_ENROLLMENT_SECRET (bundled miner) or MINER_REGISTRATION_TOKEN (remote miner) to enroll`,
    ];
  }
  return [];
}

/**
 * Parses and validates the miner's configuration at once. Throws an
 * {@link AppError} `config_invalid` listing every bad key (never a value).
 */
export function loadMinerConfig(env: Env): MinerConfig {
  const { env: resolved, problems } = resolveSecretFiles(env);
  const issues = [...problems];
  const values: Partial<Record<keyof Fields, unknown>> = {};
  for (const [key, field] of Object.entries(fields) as Array<[keyof Fields, z.ZodType]>) {
    // An empty value (`WORKER_ID=` in a compose file) means unset, so the default applies.
    const r = field.safeParse(resolved[key] === '' ? undefined : resolved[key]);
    if (r.success) values[key] = r.data;
    else for (const issue of r.error.issues) issues.push(`${key}: ${issue.message}`);
  }
  const stateDir = typeof values.MINER_STATE_DIR === 'string' ? resolve(values.MINER_STATE_DIR) : undefined;
  issues.push(...credentialProblems(values as Partial<Fields>, stateDir));
  if (issues.length > 0) {
    throw new AppError('config_invalid', `invalid miner configuration:\n  - ${issues.join('\n  - ')}`, { issues });
  }
  return Object.freeze({ ...(values as Fields), stateDir: stateDir! });
}

/** The credential values that are set, for log scrubbing. */
export function minerSecretValues(config: MinerConfig): string[] {
  return MINER_SECRET_KEYS.map((k) => config[k]).filter((v): v is string => typeof v === 'string' && v.length > 0);
}

/** The configuration with each credential replaced by `[set]` or `[unset]`, for printing. */
export function redactedMinerConfig(config: MinerConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  for (const k of MINER_SECRET_KEYS) out[k] = config[k] ? '[set]' : '[unset]';
  return out;
}
