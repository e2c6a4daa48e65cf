import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, redactedConfig, REQUIRED_SECRETS, secretProblem, secretValues } from '../../server/config.ts';
import { AppError } from '../../server/kernel/errors.ts';
import { secret, tempDir, validEnv } from '../helpers/env.ts';

const tmp = tempDir();
afterAll(tmp.cleanup);

function configError(env: Record<string, string | undefined>): AppError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('configuration was accepted');
}

describe('config', () => {
  it('accepts a complete environment and applies the documented defaults', () => {
    const c = loadConfig(validEnv(tmp.dir, { BROWSER_SERVICE_URL: undefined }));
    expect(c.PORT).toBe(8000);
    expect(c.MAX_JSON_MB).toBe(10);
    expect(c.MAX_UPLOAD_MB).toBe(25);
    expect(c.AUTH_IDLE_TIMEOUT_MINUTES).toBe(30);
    expect(c.SESSION_MAX_HOURS).toBe(24);
    expect(c.CHUNK_SIZE_TOKENS).toBe(512);
    expect([c.EXTRACT_MAX_PART_MB, c.EXTRACT_MAX_TOTAL_MB, c.EXTRACT_MAX_CHARS, c.EXTRACT_MEMORY_MB, c.EXTRACT_TIMEOUT_S]).toEqual([8, 24, 5_000_000, 768, 60]);
    expect(c.VECTOR_TOP_K).toBe(5);
    expect(c.MINER_QUEUE_SYNC_WAIT_S).toBe(60);
    expect(c.MINER_FIRST_TOKEN_TIMEOUT_S).toBe(30);
    expect(c.BROWSER_SERVICE_URL).toBe('http://browser:9020');
    expect(c.NO_EXTERNAL_EGRESS).toBe(false);
    expect(c.dbPath).toBe(join(tmp.dir, 'onsite.db'));
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('names every missing, short and example secret in one error', () => {
    const env = validEnv(tmp.dir);
    delete env.SESSION_SECRET;
    env.DB_ENCRYPTION_KEY = 'short';
    env.MINER_ENROLLMENT_SECRET = 'change-me-change-me-change-me-change-me-42';
    env.BROWSER_SERVICE_AUTH_TOKEN = 'a'.repeat(40);
    env.METRICS_TOKEN = 'tiny';
    const err = configError(env);
    expect(err.code).toBe('config_invalid');
    expect(err.message).toMatch(/SESSION_SECRET: missing/);
    expect(err.message).toMatch(/DB_ENCRYPTION_KEY: too short/);
    expect(err.message).toMatch(/MINER_ENROLLMENT_SECRET: looks like an example/);
    expect(err.message).toMatch(/BROWSER_SERVICE_AUTH_TOKEN: too few distinct/);
    expect(err.message).toMatch(/METRICS_TOKEN: too short/);
    // The error names keys, never values.
    expect(err.message).not.toContain('change-me-change-me');
  });

  it('reads DB_ENCRYPTION_KEY_PREVIOUS as a list of keys (or from _FILE), checks each, and never prints one', () => {
    const [a, b] = [secret(), secret()];
    const c = loadConfig(validEnv(tmp.dir, { DB_ENCRYPTION_KEY_PREVIOUS: ` ${a}, ${b} ` }));
    expect(c.DB_ENCRYPTION_KEY_PREVIOUS).toEqual([a, b]);
    expect(redactedConfig(c).DB_ENCRYPTION_KEY_PREVIOUS).toBe('[2 set]');
    expect(secretValues(c)).toEqual(expect.arrayContaining([a, b]));
    expect(loadConfig(validEnv(tmp.dir)).DB_ENCRYPTION_KEY_PREVIOUS).toEqual([]);
    const file = join(tmp.dir, 'previous-keys');
    writeFileSync(file, `${a}\n${b}\n`);
    expect(loadConfig(validEnv(tmp.dir, { DB_ENCRYPTION_KEY_PREVIOUS_FILE: file })).DB_ENCRYPTION_KEY_PREVIOUS).toEqual([a, b]);
    const err = configError(validEnv(tmp.dir, { DB_ENCRYPTION_KEY_PREVIOUS: `${a},short-old-key` }));
    expect(err.message).toMatch(/DB_ENCRYPTION_KEY_PREVIOUS: entry 2 too short/);
    expect(err.message).not.toContain(a);
    expect(configError(validEnv(tmp.dir, { DB_ENCRYPTION_KEY_PREVIOUS: Array.from({ length: 9 }, secret).join(',') })).message).toMatch(
      /DB_ENCRYPTION_KEY_PREVIOUS: at most 8 keys/,
    );
  });

  it('lists bad non-secret keys together with secrets', () => {
    const env = validEnv(tmp.dir, { PORT: 'eighty', MAX_JSON_MB: '0', APP_BASE_URL: 'ftp://x', CHUNK_OVERLAP_TOKENS: '600' });
    delete env.SESSION_SECRET;
    const issues = (configError(env).details?.issues ?? []) as string[];
    const keys = issues.map((i) => i.split(':')[0]);
    expect(keys).toEqual(expect.arrayContaining(['PORT', 'MAX_JSON_MB', 'APP_BASE_URL', 'CHUNK_OVERLAP_TOKENS', 'SESSION_SECRET']));
  });

  it('reads ALLOWED_HOSTS as normalized names with optional ports, and refuses URLs, paths and wildcards', () => {
    expect(loadConfig(validEnv(tmp.dir)).ALLOWED_HOSTS).toEqual([]);
    expect(loadConfig(validEnv(tmp.dir, { ALLOWED_HOSTS: ' Onsite.LAN , 10.0.0.5:8443,,::1,[fd00::5]:9443,server,onsite.lan.' })).ALLOWED_HOSTS).toEqual([
      'onsite.lan',
      '10.0.0.5:8443',
      '[::1]',
      '[fd00::5]:9443',
      'server',
      'onsite.lan',
    ]);
    for (const bad of ['http://onsite.lan', '*.corp.example', 'onsite.lan/app', 'user@onsite.lan', 'onsite.lan:99999', 'a b']) {
      const issues = (configError(validEnv(tmp.dir, { ALLOWED_HOSTS: `ok.lan,${bad}` })).details?.issues ?? []) as string[];
      expect(issues, bad).toEqual(['ALLOWED_HOSTS: entry 2 is not a host name or address with an optional :port (no scheme, path or wildcard)']);
    }
  });

  it('bounds the extraction limits and keeps a part within the total', () => {
    const keys = (env: Record<string, string>) => ((configError(validEnv(tmp.dir, env)).details?.issues ?? []) as string[]).map((i) => i.split(':')[0]);
    expect(keys({ EXTRACT_MEMORY_MB: '16', EXTRACT_TIMEOUT_S: '0', EXTRACT_MAX_CHARS: 'many' })).toEqual([
      'EXTRACT_MAX_CHARS',
      'EXTRACT_MEMORY_MB',
      'EXTRACT_TIMEOUT_S',
    ]);
    expect(configError(validEnv(tmp.dir, { EXTRACT_MAX_PART_MB: '64', EXTRACT_MAX_TOTAL_MB: '32' })).message).toMatch(
      /EXTRACT_MAX_PART_MB: must not be larger than EXTRACT_MAX_TOTAL_MB/,
    );
  });

  it.each(REQUIRED_SECRETS)('%s_FILE overrides %s', (key) => {
    const fromFile = secret();
    const file = join(tmp.dir, `${key}.txt`);
    writeFileSync(file, `${fromFile}\n`);
    const c = loadConfig(validEnv(tmp.dir, { [key]: secret(), [`${key}_FILE`]: file }));
    expect(c[key]).toBe(fromFile);
  });

  it('reports an unreadable secret file by name', () => {
    const err = configError(validEnv(tmp.dir, { SESSION_SECRET_FILE: join(tmp.dir, 'absent') }));
    expect(err.message).toMatch(/SESSION_SECRET_FILE: cannot read/);
  });

  it('redacts every secret when printed', () => {
    const env = validEnv(tmp.dir, { METRICS_TOKEN: secret(), ONSITE_BOOTSTRAP_TOKEN: secret() });
    const printed = JSON.stringify(redactedConfig(loadConfig(env)));
    for (const key of [...REQUIRED_SECRETS, 'METRICS_TOKEN', 'ONSITE_BOOTSTRAP_TOKEN']) {
      expect(printed).not.toContain(env[key]!);
    }
    expect(printed).toContain('"SESSION_SECRET":"[set]"');
  });

  it('judges secrets', () => {
    expect(secretProblem(undefined)).toBe('missing');
    expect(secretProblem(secret())).toBeUndefined();
    expect(secretProblem('your-secret-here-your-secret-here-1234')).toMatch(/example/);
  });
});
