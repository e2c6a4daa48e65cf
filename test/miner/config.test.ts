import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAppError } from '../../server/kernel/errors.ts';
import { defaultWorkerId, loadMinerConfig, minerSecretValues, redactedMinerConfig } from '../../miner/config.ts';
import { identityPath } from '../../miner/state.ts';
import { secret, tempDir } from './harness.ts';

const dirs: Array<() => void> = [];
function stateDir(): string {
  const t = tempDir();
  dirs.push(t.cleanup);
  return t.dir;
}
afterEach(() => {
  for (const c of dirs.splice(0)) c();
});

function configError(env: Record<string, string>): { message: string; issues: string[] } {
  try {
    loadMinerConfig(env);
  } catch (err) {
    if (!isAppError(err, 'config_invalid')) throw err;
    return { message: err.message, issues: err.details!.issues as string[] };
  }
  throw new Error('expected config_invalid');
}

describe('miner configuration', () => {
  it('applies the documented defaults', () => {
    const dir = stateDir();
    const c = loadMinerConfig({ MINER_ENROLLMENT_SECRET: secret(), MINER_STATE_DIR: dir });
    expect(c).toMatchObject({
      SERVER_URL: 'http://server:8000',
      OLLAMA_HOST: 'http://ollama:11434',
      MODELS: undefined,
      MINER_HEARTBEAT_INTERVAL: 15,
      MINER_CAPACITY: 4,
      PORT: 8080,
      HOST: '0.0.0.0',
      LOG_LEVEL: 'info',
      stateDir: dir,
    });
    expect(c.WORKER_ID).toMatch(/^[A-Za-z0-9._:-]{1,64}$/);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('parses MODELS, trims trailing slashes and accepts OLLAMA_HOST without a scheme', () => {
    const c = loadMinerConfig({
      MINER_ENROLLMENT_SECRET: secret(),
      MINER_STATE_DIR: stateDir(),
      MODELS: ' llama3.2:1b , nomic-embed-text,',
      OLLAMA_HOST: '127.0.0.1:11434',
      SERVER_URL: 'https://onsite.example.test/',
    });
    expect(c.MODELS).toEqual(['llama3.2:1b', 'nomic-embed-text']);
    expect(c.OLLAMA_HOST).toBe('http://127.0.0.1:11434');
    expect(c.SERVER_URL).toBe('https://onsite.example.test');
  });

  it('lists every bad key at once and never a secret value', () => {
    const s = secret();
    const t = secret();
    const { message, issues } = configError({
      MINER_ENROLLMENT_SECRET: s,
      MINER_REGISTRATION_TOKEN: t,
      MINER_STATE_DIR: stateDir(),
      SERVER_URL: 'ftp://server',
      OLLAMA_HOST: 'http://',
      WORKER_ID: 'bad worker!',
      MINER_HEARTBEAT_INTERVAL: '0',
      MINER_CAPACITY: 'lots',
      PORT: '70000',
      LOG_LEVEL: 'loud',
    });
    for (const key of [
      'MINER_ENROLLMENT_SECRET',
      'SERVER_URL',
      'OLLAMA_HOST',
      'WORKER_ID',
      'MINER_HEARTBEAT_INTERVAL',
      'MINER_CAPACITY',
      'PORT',
      'LOG_LEVEL',
    ]) {
      expect(
        issues.some((i) => i.startsWith(`${key}:`)),
        key,
      ).toBe(true);
    }
    expect(message).not.toContain(s);
    expect(message).not.toContain(t);
  });

  it('needs exactly one of the enrolment secret and the registration token', () => {
    const dir = stateDir();
    expect(configError({ MINER_STATE_DIR: dir }).message).toMatch(/MINER_ENROLLMENT_SECRET.*MINER_REGISTRATION_TOKEN/);
    expect(configError({ MINER_STATE_DIR: dir, MINER_ENROLLMENT_SECRET: secret(), MINER_REGISTRATION_TOKEN: secret() }).message).toMatch(/not both/);
    expect(loadMinerConfig({ MINER_STATE_DIR: dir, MINER_REGISTRATION_TOKEN: 'tok_abc' }).MINER_REGISTRATION_TOKEN).toBe('tok_abc');
  });

  it('needs no credential once an identity is saved', () => {
    const dir = stateDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(identityPath(dir), '{}');
    expect(loadMinerConfig({ MINER_STATE_DIR: dir }).MINER_ENROLLMENT_SECRET).toBeUndefined();
  });

  it('reads NAME_FILE for both credentials and names an unreadable file', () => {
    const dir = stateDir();
    const s = secret();
    writeFileSync(join(dir, 'secret'), `${s}\n`);
    const c = loadMinerConfig({ MINER_STATE_DIR: dir, MINER_ENROLLMENT_SECRET_FILE: join(dir, 'secret') });
    expect(c.MINER_ENROLLMENT_SECRET).toBe(s);
    expect(minerSecretValues(c)).toEqual([s]);
    expect(JSON.stringify(redactedMinerConfig(c))).not.toContain(s);
    expect(redactedMinerConfig(c).MINER_ENROLLMENT_SECRET).toBe('[set]');
    const { issues } = configError({ MINER_STATE_DIR: dir, MINER_REGISTRATION_TOKEN_FILE: join(dir, 'missing') });
    expect(issues.some((i) => i.startsWith('MINER_REGISTRATION_TOKEN_FILE: cannot read'))).toBe(true);
  });

  it('derives a valid worker id from any host name', () => {
    expect(defaultWorkerId('gpu-host.example.lan')).toBe('gpu-host.example.lan');
    expect(defaultWorkerId('weird host (1)')).toBe('weird-host-1');
    expect(defaultWorkerId('x'.repeat(100))).toHaveLength(64);
    expect(defaultWorkerId('***')).toBe('miner');
  });
});
