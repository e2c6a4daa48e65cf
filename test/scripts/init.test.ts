import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { renderRecord } from '../../server/init/bundle/record.ts';
import { makeOperatorBundle, otherBundleKey, TEST_BUNDLE_KEYRING, type TestBundle } from '../helpers/bundle.ts';
import { tempDir } from '../helpers/env.ts';
import { fakeDockerCli } from '../helpers/fake-docker-cli.ts';

// scripts/init.sh for real, with bash, on an extracted test bundle, against a
// fake docker CLI that logs every call and runs the real `onsite init` for
// `docker run`. Each attack must stop the script before `docker load`.

const tmp = tempDir('onsite-init-sh-');
let docker: Awaited<ReturnType<typeof fakeDockerCli>>;
let n = 0;
beforeAll(async () => {
  docker = await fakeDockerCli(join(tmp.dir, 'docker'), TEST_BUNDLE_KEYRING);
});
afterAll(async () => {
  await docker.close();
  tmp.cleanup();
});

const fresh = (): TestBundle => makeOperatorBundle(join(tmp.dir, `b${++n}`), '0.1.0');
const initSh = (b: TestBundle, args: string[] = [], env: Record<string, string> = {}) => docker.script(join(b.dir, 'scripts/init.sh'), args, env);
const ATTACKER_ENV = 'ONSITE_BOOTSTRAP_TOKEN=attacker-knows-this-token-0123456789abcdef\nSESSION_SECRET=attacker-knows-this-secret-0123456789abcdef\n';

// A bin folder whose openssl is too old for Ed25519 and, unless `ssh`, whose ssh-keygen has no -Y.
function oldTools(ssh: boolean): Record<string, string> {
  const bin = join(tmp.dir, `old-tools-${ssh}`);
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'openssl'), '#!/bin/sh\necho "OpenSSL 1.1.1w  11 Sep 2023"\n');
  if (!ssh)
    writeFileSync(join(bin, 'ssh-keygen'), '#!/bin/sh\necho "ssh-keygen: illegal option -- Y" >&2\necho "usage: ssh-keygen [-q] [-a rounds]" >&2\nexit 1\n');
  for (const f of ['openssl', 'ssh-keygen']) if (existsSync(join(bin, f))) chmodSync(join(bin, f), 0o755);
  return { PATH: `${join(tmp.dir, 'docker/bin')}:${bin}:${process.env.PATH}` };
}

describe('scripts/init.sh', () => {
  it('checks the signature with openssl, every file and hash, then loads the onsite image and runs init, which records what it wrote; a rerun keeps it all', async () => {
    const b = fresh();
    const r = await initSh(b);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toMatch(/SHA256SUMS is signed by bundle key "test-bundle-key" \(checked with openssl pkeyutl\)/);
    expect(r.calls).toContain('load -q -i images/onsite-0.1.0.tar');
    expect(r.calls).toContain('ran onsite:0.1.0');
    const env = readFileSync(join(b.dir, '.env'), 'utf8');
    expect(readFileSync(join(b.dir, '.onsite-init'), 'utf8')).toMatch(/^file \.env$/m);

    const again = await initSh(b);
    expect(again.status, again.output).toBe(0);
    expect(readFileSync(join(b.dir, '.env'), 'utf8')).toBe(env);
  });

  // Each attack: the script stops before `docker load` and `docker run`, and .env is neither written nor changed.
  const attacks: Array<[string, (b: TestBundle) => void, RegExp]> = [
    [
      'an unlisted .env carrying an attacker’s secrets and bootstrap token',
      (b) => writeFileSync(join(b.dir, '.env'), ATTACKER_ENV),
      /\.env is not part of the bundle and init has no record of writing it/,
    ],
    [
      'an unlisted docker-compose.override.yml that mounts / and the Docker socket',
      (b) =>
        writeFileSync(join(b.dir, 'docker-compose.override.yml'), 'services: {server: {volumes: ["/:/host", "/var/run/docker.sock:/var/run/docker.sock"]}}\n'),
      /docker-compose\.override\.yml is not listed in SHA256SUMS/,
    ],
    [
      'a record and .env that came with the files (no marker volume on this engine)',
      (b) => {
        writeFileSync(join(b.dir, '.env'), ATTACKER_ENV);
        writeFileSync(join(b.dir, '.onsite-init'), renderRecord({ token: randomBytes(32).toString('hex'), files: ['.env'] }));
      },
      /\.onsite-init does not belong to an init on this Docker engine/,
    ],
    [
      'a bundle whose onsite image would skip the check, re-signed under the vendor’s key id',
      (b) => {
        b.put('images/onsite-0.1.0.tar', 'an image whose onsite init skips every check');
        b.sign(otherBundleKey('test-bundle-key'));
      },
      /the signature by key "test-bundle-key" does not match SHA256SUMS \(openssl pkeyutl -verify\)/,
    ],
    [
      'a SHA256SUMS re-signed with another key',
      (b) => {
        b.put('docker-compose.yml', 'services: {evil: {privileged: true}}\n');
        b.sign(otherBundleKey('attacker-2027'));
      },
      /signed with key "attacker-2027", which this script does not trust/,
    ],
    [
      'a SHA256SUMS changed without a signature',
      (b) =>
        writeFileSync(
          join(b.dir, 'SHA256SUMS'),
          readFileSync(join(b.dir, 'SHA256SUMS'), 'utf8').replace(/^./, (c) => (c === '0' ? '1' : '0')),
        ),
      /does not match SHA256SUMS/,
    ],
    [
      'a tampered image tarball under a good signature',
      (b) => writeFileSync(join(b.dir, 'images/onsite-0.1.0.tar'), 'changed'),
      /does not match SHA256SUMS: a file is damaged or was changed/,
    ],
  ];

  it.each(attacks)('refuses %s: nothing is loaded, no .env is written or changed', async (_name, attack, message) => {
    const b = fresh();
    attack(b);
    const envBefore = existsSync(join(b.dir, '.env')) ? readFileSync(join(b.dir, '.env'), 'utf8') : undefined;
    const r = await initSh(b);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(message);
    expect(r.output).toMatch(/Nothing was loaded/);
    expect(r.loads).toBe(0);
    expect(r.calls.filter((c) => /^(load|run|ran) /.test(c))).toEqual([]);
    expect(existsSync(join(b.dir, '.env')) ? readFileSync(join(b.dir, '.env'), 'utf8') : undefined).toBe(envBefore);
  });

  it('without OpenSSL 3, checks SHA256SUMS.sshsig with ssh-keygen -Y verify, and refuses one by another key', async () => {
    const good = fresh();
    const r = await initSh(good, [], oldTools(true));
    expect(r.status, r.output).toBe(0);
    expect(r.output).toMatch(/checked with ssh-keygen -Y verify/);

    const bad = fresh();
    bad.put('images/onsite-0.1.0.tar', 'an image whose onsite init skips every check');
    bad.sign(otherBundleKey('test-bundle-key'));
    const refused = await initSh(bad, [], oldTools(true));
    expect(refused.status).not.toBe(0);
    expect(refused.output).toMatch(/does not match SHA256SUMS \(ssh-keygen -Y verify\)/);
    expect(refused.loads).toBe(0);
  });

  it('without any stock tool, refuses unless --archive-checked-by-hand; the flag never overrides a failed check', async () => {
    const b = fresh();
    const r = await initSh(b, [], oldTools(false));
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/neither OpenSSL 3 nor ssh-keygen 8\.1 or later.*--archive-checked-by-hand\. Nothing was loaded/);
    expect(r.loads).toBe(0);
    expect(existsSync(join(b.dir, '.env'))).toBe(false);

    const byHand = await initSh(b, ['--archive-checked-by-hand'], oldTools(false));
    expect(byHand.status, byHand.output).toBe(0);
    expect(byHand.output).toMatch(/you checked the archive's SHA-256 by hand/);
    expect(byHand.calls).toContain('ran onsite:0.1.0');
    expect(byHand.calls.find((c) => c.startsWith('run '))).not.toMatch(/archive-checked-by-hand/);

    const forged = fresh();
    forged.put('images/onsite-0.1.0.tar', 'an image whose onsite init skips every check');
    forged.sign(otherBundleKey('test-bundle-key'));
    const still = await initSh(forged, ['--archive-checked-by-hand']);
    expect(still.status).not.toBe(0);
    expect(still.loads).toBe(0);
  });

  it('--adopt-existing keeps a .env restored by hand and records it as init’s', async () => {
    const b = fresh();
    writeFileSync(join(b.dir, '.env'), 'SESSION_SECRET=restored-from-the-backup-media-0123456789abcdef\n');
    const r = await initSh(b, ['--adopt-existing']);
    expect(r.status, r.output).toBe(0);
    expect(r.calls.find((c) => c.startsWith('run '))).toMatch(/--adopt-existing/);
    expect(readFileSync(join(b.dir, '.env'), 'utf8')).toMatch(/^SESSION_SECRET=restored-from-the-backup-media-0123456789abcdef$/m);
    expect((await initSh(b)).status).toBe(0);
  });
});
