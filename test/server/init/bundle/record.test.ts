import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { markerVolume, parseRecord, RECORD_FILE, renderRecord } from '../../../../server/init/bundle/record.ts';
import { isAppError } from '../../../../server/kernel/errors.ts';
import { runInit, type InitOptions } from '../../../../server/init/run.ts';
import { makeTestBundle, TEST_BUNDLE_KEYRING } from '../../../helpers/bundle.ts';
import { tempDir } from '../../../helpers/env.ts';
import { startFakeDocker } from '../../../helpers/fake-docker.ts';

const tmp = tempDir('onsite-record-');
afterAll(tmp.cleanup);
let n = 0;

// An attacker's .env: known secrets and a bootstrap token they can claim the first admin with.
const ATTACKER_ENV = 'ONSITE_BOOTSTRAP_TOKEN=attacker-knows-this-token-0123456789abcdef\nSESSION_SECRET=attacker-knows-this-secret-0123456789abcdef\n';

async function setup() {
  const base = join(tmp.dir, `r${++n}`);
  const bundle = makeTestBundle(join(base, 'bundle'));
  const docker = await startFakeDocker(base);
  const options: InitOptions = {
    bundleDir: bundle.dir,
    dockerSocket: docker.socketPath,
    skipImages: false,
    hosts: [],
    keyring: TEST_BUNDLE_KEYRING,
    version: '0.1.0',
    serverGid: process.getgid!(),
  };
  const run = (o: Partial<InitOptions> = {}) => runInit({ ...options, ...o }, () => {});
  const loads = () => docker.requests.filter((r) => r.url.startsWith('/images/load')).length;
  return { bundle, docker, run, loads };
}

describe("init's record of what it wrote", () => {
  it('a rerun accepts the .env, tls/ and record init wrote and the scripts’ backups/ and .previous/, but not an override added since', async () => {
    const { bundle, docker, run, loads } = await setup();
    await run();
    const record = parseRecord(readFileSync(join(bundle.dir, RECORD_FILE), 'utf8'));
    expect(record.files).toEqual(['.env', 'tls/ca.crt', 'tls/ca.key', 'tls/server.crt', 'tls/server.key']);
    expect(readdirSync(docker.volumesDir)).toEqual([markerVolume(record.token)]);
    mkdirSync(join(bundle.dir, 'backups'));
    writeFileSync(join(bundle.dir, 'backups/onsite-1.db'), 'backup');
    mkdirSync(join(bundle.dir, '.previous'));
    writeFileSync(join(bundle.dir, '.previous/.env'), 'old');
    await run();
    expect(loads()).toBe(4);

    writeFileSync(join(bundle.dir, 'docker-compose.override.yml'), 'services: {server: {volumes: ["/:/host"]}}\n');
    const env = readFileSync(join(bundle.dir, '.env'), 'utf8');
    await expect(run()).rejects.toSatisfy(
      (e) => isAppError(e, 'bundle_invalid') && /docker-compose\.override\.yml is not listed in SHA256SUMS/.test((e as Error).message),
    );
    expect(loads()).toBe(4);
    expect(readFileSync(join(bundle.dir, '.env'), 'utf8')).toBe(env);
    await docker.close();
  });

  it('a record that came with the files (no marker volume on this engine) stops init before anything is loaded, and the .env stays as it came', async () => {
    const { bundle, docker, run, loads } = await setup();
    writeFileSync(join(bundle.dir, '.env'), ATTACKER_ENV);
    writeFileSync(join(bundle.dir, RECORD_FILE), renderRecord({ token: randomBytes(32).toString('hex'), files: ['.env'] }));
    await expect(run()).rejects.toSatisfy(
      (e) => isAppError(e, 'bundle_invalid') && /\.onsite-init does not belong to an init on this Docker engine/.test((e as Error).message),
    );
    await docker.close();
    expect(loads()).toBe(0);
    expect(docker.requests.map((r) => r.method)).toEqual(['GET']); // the marker lookup, nothing else
    expect(readFileSync(join(bundle.dir, '.env'), 'utf8')).toBe(ATTACKER_ENV);
    expect(readdirSync(bundle.dir)).not.toContain('tls');
  });

  it('--adopt-existing keeps a .env restored by hand and records it; the next run needs no flag', async () => {
    const { bundle, docker, run } = await setup();
    const restored = 'SESSION_SECRET=restored-from-the-backup-media-0123456789abcdef\n';
    writeFileSync(join(bundle.dir, '.env'), restored);
    await expect(run({ skipImages: true })).rejects.toThrow(/\.env is not part of the bundle .*--adopt-existing/);
    await run({ skipImages: true, adoptExisting: true });
    expect(readFileSync(join(bundle.dir, '.env'), 'utf8').startsWith(restored)).toBe(true);
    await run({ skipImages: true });
    await docker.close();
  });

  it('--images-only (update’s new bundle) accepts nothing beside the signed files, not even a .env', async () => {
    const { bundle, docker, run, loads } = await setup();
    writeFileSync(join(bundle.dir, '.env'), ATTACKER_ENV);
    await expect(run({ imagesOnly: true })).rejects.toThrow(/\.env is not part of the bundle/);
    await docker.close();
    expect(loads()).toBe(0);
    expect(docker.requests).toEqual([]);
  });

  it('parses only what init writes', () => {
    const token = 'ab'.repeat(32);
    expect(parseRecord(renderRecord({ token, files: ['.env', 'tls/ca.key'] }))).toEqual({ token, files: ['.env', 'tls/ca.key'] });
    expect(() => parseRecord('')).toThrow(/not a record/);
    expect(() => parseRecord('onsite-init-v1\ntoken abc\n')).toThrow(/no token line/);
    expect(() => parseRecord(`onsite-init-v1\ntoken ${token}\nfile docker-compose.override.yml\n`)).toThrow(/names no file init writes/);
    expect(markerVolume(token)).toMatch(/^onsite_init_[0-9a-f]{32}$/);
  });
});
