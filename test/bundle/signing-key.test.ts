import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleSigningKey, isReleaseBuild } from '../../bundle/signing-key.ts';
import { otherBundleKey } from '../helpers/bundle.ts';
import { tempDir } from '../helpers/env.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const tmp = tempDir('onsite-signing-key-');
afterAll(tmp.cleanup);

// A checkout of its own: a throwaway vendor release key (the repository holds
// no vendor key yet, and never a private one) and a development key in dist/.
const release = otherBundleKey('vendor-2027');
const dev = otherBundleKey('development');
const root = join(tmp.dir, 'root');
mkdirSync(join(root, 'licenses/keys'), { recursive: true });
mkdirSync(join(root, 'dist'));
writeFileSync(join(root, 'licenses/keys/bundle-signing-keys.json'), JSON.stringify({ [release.kid!]: release.x }));
writeFileSync(join(root, 'dist/dev-bundle-key.json'), JSON.stringify(dev));
const keyFile = (name: string, jwk: object) => {
  const file = join(tmp.dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(jwk));
  return file;
};

describe('the bundle-signing key of a build', () => {
  it('refuses BUNDLE_SIGNING_KEY_FILE without ONSITE_RELEASE=1, the reverse, and any other ONSITE_RELEASE', () => {
    expect(() => isReleaseBuild({ BUNDLE_SIGNING_KEY_FILE: keyFile('r1', release) })).toThrow(
      /BUNDLE_SIGNING_KEY_FILE is for release builds: set ONSITE_RELEASE=1 with it/,
    );
    expect(() => isReleaseBuild({ ONSITE_RELEASE: '1' })).toThrow(/a release bundle \(ONSITE_RELEASE=1\) needs BUNDLE_SIGNING_KEY_FILE/);
    expect(() => isReleaseBuild({ ONSITE_RELEASE: 'true' })).toThrow(/ONSITE_RELEASE is 1 for a release build or unset/);
    expect(isReleaseBuild({})).toBe(false);
  });

  it('npm run bundle refuses either half before it builds anything, and a release with --skip-binary', () => {
    const bundle = (env: Record<string, string>, args: string[] = []) =>
      spawnSync(
        process.execPath,
        [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'bundle/build-bundle.ts'), '--without-ollama', '--out', join(tmp.dir, 'out'), ...args],
        {
          env: { PATH: process.env.PATH, ...env },
          encoding: 'utf8',
        },
      );
    const half = bundle({ BUNDLE_SIGNING_KEY_FILE: keyFile('r2', release) });
    expect(half.status).toBe(1);
    expect(half.stderr).toMatch(/^build-bundle: BUNDLE_SIGNING_KEY_FILE is for release builds/);
    const other = bundle({ ONSITE_RELEASE: '1' });
    expect(other.status).toBe(1);
    expect(other.stderr).toMatch(/^build-bundle: a release bundle \(ONSITE_RELEASE=1\) needs BUNDLE_SIGNING_KEY_FILE/);
    const skip = bundle({ ONSITE_RELEASE: '1', BUNDLE_SIGNING_KEY_FILE: keyFile('r3', release) }, ['--skip-binary']);
    expect(skip.status).toBe(1);
    expect(skip.stderr).toMatch(/builds its own release binary: drop --skip-binary/);
  });

  it('a release signs with a vendor key only and trusts the vendor keys only, never the development key', () => {
    const signing = bundleSigningKey(root, { ONSITE_RELEASE: '1', BUNDLE_SIGNING_KEY_FILE: keyFile('r4', release) });
    expect(signing).toMatchObject({ release: true, trusted: { 'vendor-2027': release.x } });
    expect(Object.values(signing.trusted)).not.toContain(dev.x);
    const stranger = keyFile('stranger', otherBundleKey('vendor-2027'));
    expect(() => bundleSigningKey(root, { ONSITE_RELEASE: '1', BUNDLE_SIGNING_KEY_FILE: stranger })).toThrow(/\(kid "vendor-2027"\) is not a vendor key/);
    expect(() => bundleSigningKey(root, { ONSITE_RELEASE: '1', BUNDLE_SIGNING_KEY_FILE: keyFile('d1', dev) })).toThrow(/is not a vendor key/);
    // Even listed as a vendor key, the development key never signs a release.
    const listed = join(tmp.dir, 'listed');
    mkdirSync(join(listed, 'licenses/keys'), { recursive: true });
    mkdirSync(join(listed, 'dist'));
    writeFileSync(join(listed, 'licenses/keys/bundle-signing-keys.json'), JSON.stringify({ development: dev.x }));
    writeFileSync(join(listed, 'dist/dev-bundle-key.json'), JSON.stringify(dev));
    expect(() => bundleSigningKey(listed, { ONSITE_RELEASE: '1', BUNDLE_SIGNING_KEY_FILE: keyFile('d2', dev) })).toThrow(/holds the development key/);
    expect(() => bundleSigningKey(listed, {})).toThrow(/the development key's id "development" or key is a vendor key's/);
  });

  it('a development build signs with dist/dev-bundle-key.json and trusts that key alone', () => {
    expect(bundleSigningKey(root, {})).toMatchObject({ release: false, trusted: { development: dev.x }, jwk: { kid: 'development' } });
    const unbuilt = join(tmp.dir, 'unbuilt');
    mkdirSync(join(unbuilt, 'licenses/keys'), { recursive: true });
    writeFileSync(join(unbuilt, 'licenses/keys/bundle-signing-keys.json'), '{}');
    expect(() => bundleSigningKey(unbuilt, {})).toThrow(/dist\/dev-bundle-key\.json is missing: npm run build makes it/);
  });
});
