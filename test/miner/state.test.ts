import { readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { identityPath, loadIdentity, saveIdentity, type MinerIdentity } from '../../miner/state.ts';
import { tempDir } from './harness.ts';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const identity: MinerIdentity = {
  minerId: 'm_1',
  minerToken: 'x'.repeat(43),
  serverUrl: 'http://127.0.0.1:8000',
  workerId: 'gpu-1',
  pairingKey: 'ABCD-EFGH-JKMN-PQRS-TVWX',
};

describe('miner state', () => {
  it('saves the identity 0600 in a 0700 folder, atomically, and reads it back', () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const dir = join(t.dir, 'state');
    expect(loadIdentity(dir)).toBeUndefined();
    saveIdentity(dir, identity);
    expect(statSync(identityPath(dir)).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readdirSync(dir)).toEqual(['identity.json']); // no temporary file left behind
    expect(loadIdentity(dir)).toEqual(identity);
    saveIdentity(dir, { ...identity, minerId: 'm_2' });
    expect(loadIdentity(dir)?.minerId).toBe('m_2');
  });

  it('refuses a damaged identity file with a clear message instead of enrolling again', () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    mkdirSync(t.dir, { recursive: true });
    writeFileSync(identityPath(t.dir), '{"minerId":');
    expect(() => loadIdentity(t.dir)).toThrow(/delete the file to enroll again/);
    writeFileSync(identityPath(t.dir), '{"minerId":"m_1"}');
    expect(() => loadIdentity(t.dir)).toThrow(/damaged \(minerToken/);
  });
});
