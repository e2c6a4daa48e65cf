import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, redactedConfig, REQUIRED_SECRETS, secretProblem } from '../../server/config.ts';
import { AppError } from '../../server/lib/errors.ts';
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

  it('lists bad non-secret keys together with secrets', () => {
    const env = validEnv(tmp.dir, { PORT: 'eighty', MAX_JSON_MB: '0', APP_BASE_URL: 'ftp://x', CHUNK_OVERLAP_TOKENS: '600' });
    delete env.SESSION_SECRET;
    const issues = (configError(env).details?.issues ?? []) as string[];
    const keys = issues.map((i) => i.split(':')[0]);
    expect(keys).toEqual(expect.arrayContaining(['PORT', 'MAX_JSON_MB', 'APP_BASE_URL', 'CHUNK_OVERLAP_TOKENS', 'SESSION_SECRET']));
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
