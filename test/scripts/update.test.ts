import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeOperatorBundle, otherBundleKey, TEST_BUNDLE_KEYRING, type TestBundle } from '../helpers/bundle.ts';
import { tempDir } from '../helpers/env.ts';
import { fakeDockerCli } from '../helpers/fake-docker-cli.ts';

// scripts/update.sh for real, with bash: the installation's own script, given
// a new bundle, against a fake docker CLI whose engine holds the installed
// image onsite:0.1.0. The installed onsite (the real `onsite init
// --images-only` run for `docker run onsite:0.1.0`) is the verifier; nothing
// of the new bundle may run or load before it agreed.

const tmp = tempDir('onsite-update-sh-');
let docker: Awaited<ReturnType<typeof fakeDockerCli>>;
let n = 0;
beforeAll(async () => {
  docker = await fakeDockerCli(join(tmp.dir, 'docker'), TEST_BUNDLE_KEYRING, ['onsite:0.1.0']);
});
afterAll(async () => {
  await docker.close();
  tmp.cleanup();
});

const INSTALLED_ENV = 'ONSITE_VERSION=0.1.0\nSESSION_SECRET=the-installation-secret-0123456789abcdef\n';

function setup() {
  const base = join(tmp.dir, `u${++n}`);
  const install = makeOperatorBundle(join(base, 'install'), '0.1.0');
  writeFileSync(join(install.dir, '.env'), INSTALLED_ENV);
  const next = makeOperatorBundle(join(base, 'next'), '0.1.1');
  const before = {
    env: readFileSync(join(install.dir, '.env'), 'utf8'),
    compose: readFileSync(join(install.dir, 'docker-compose.yml'), 'utf8'),
    listing: readdirSync(install.dir).sort(),
  };
  const unchanged = () => {
    expect(readFileSync(join(install.dir, '.env'), 'utf8')).toBe(before.env);
    expect(readFileSync(join(install.dir, 'docker-compose.yml'), 'utf8')).toBe(before.compose);
    expect(readdirSync(install.dir).sort()).toEqual(before.listing);
  };
  const update = () => docker.script(join(install.dir, 'scripts/update.sh'), [next.dir]);
  return { install, next, unchanged, update };
}

describe('scripts/update.sh', () => {
  it('has the installed onsite verify a good bundle and load its images; then goes on to the backup', async () => {
    const { next, unchanged, update } = setup();
    const r = await update();
    expect(r.output).toMatch(/verifying 0\.1\.1 with the installed onsite 0\.1\.0/);
    expect(r.calls).toContain('ran onsite:0.1.0');
    expect(r.output).toMatch(/✓ SHA256SUMS is signed by bundle key "test-bundle-key"/);
    expect(r.loads).toBe(2); // images/ollama.tar and images/onsite-0.1.1.tar, through the installed onsite
    // The fake engine runs no stack: the backup is where this run stops, before any switch.
    expect(r.calls.at(-1)).toBe('compose exec -T server /usr/local/bin/onsite backup');
    expect(r.output).toMatch(/the backup failed .*; nothing was changed/);
    expect(r.calls.some((c) => c.includes('onsite:0.1.1'))).toBe(false);
    unchanged();
    expect(existsSync(join(next.dir, '.env'))).toBe(false);
  });

  const attacks: Array<[string, (b: TestBundle) => void, RegExp]> = [
    [
      'an unlisted docker-compose.override.yml that mounts / and the Docker socket',
      (b) =>
        writeFileSync(join(b.dir, 'docker-compose.override.yml'), 'services: {server: {volumes: ["/:/host", "/var/run/docker.sock:/var/run/docker.sock"]}}\n'),
      /docker-compose\.override\.yml is not listed in SHA256SUMS/,
    ],
    ['an unlisted .env', (b) => writeFileSync(join(b.dir, '.env'), 'ONSITE_BOOTSTRAP_TOKEN=known-to-the-attacker\n'), /\.env is not part of the bundle/],
    [
      'a bundle whose onsite image would skip the check, re-signed with another key',
      (b) => {
        b.put('images/onsite-0.1.1.tar', 'an image whose onsite init skips every check');
        b.sign(otherBundleKey('attacker-2027'));
      },
      /signed with key "attacker-2027", which this build does not trust/,
    ],
    [
      'a SHA256SUMS re-signed under the vendor’s key id by another key',
      (b) => {
        b.put('docker-compose.yml', 'services: {evil: {privileged: true}}\n');
        b.sign(otherBundleKey('test-bundle-key'));
      },
      /the signature by key "test-bundle-key" does not match SHA256SUMS/,
    ],
  ];

  it.each(attacks)('refuses %s: the installed onsite says no, nothing is loaded, the installation is unchanged', async (_name, attack, message) => {
    const { next, unchanged, update } = setup();
    attack(next);
    const r = await update();
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(message);
    expect(r.output).toMatch(/the installed onsite 0\.1\.0 refused the bundle .*: nothing was changed/);
    expect(r.calls).toContain('ran onsite:0.1.0');
    expect(r.loads).toBe(0);
    expect(r.calls.filter((c) => /^(load|compose (?!version))/.test(c) || c.includes('onsite:0.1.1'))).toEqual([]);
    unchanged();
  });

  it('refuses to be run from the new bundle (the old way), before anything runs', async () => {
    const { install, next, unchanged } = setup();
    const r = await docker.script(join(next.dir, 'scripts/update.sh'), [install.dir]);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(
      /this is the new bundle's own script: run the installed one, whose onsite verifies the new bundle first: .*\/install\/scripts\/update\.sh .*\/next/,
    );
    expect(r.calls).toEqual([]);
    unchanged();
  });
});
