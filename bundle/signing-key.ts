import { createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Keyring } from '../licenses/activation-code.ts';

/** The key a bundle is signed with, and the keys its scripts and docs trust. */
export interface BundleSigningKey {
  /** The Ed25519 private key as a JWK with `kid`. */
  jwk: Record<string, string> & { kid: string; x: string };
  release: boolean;
  /** What the bundle's init.sh and init.ps1 trust: every vendor key for a release, the development key otherwise. */
  trusted: Keyring;
}

function readJwk(file: string): BundleSigningKey['jwk'] {
  const jwk = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  if (createPrivateKey({ key: jwk, format: 'jwk' }).asymmetricKeyType !== 'ed25519' || !jwk.x || !jwk.kid || !/^[\w.-]{1,40}$/.test(jwk.kid)) {
    throw new Error(`${file} is not an Ed25519 private key as a JWK with a kid of letters, digits, "_", "." and "-"`);
  }
  return jwk as BundleSigningKey['jwk'];
}

/**
 * Tells whether this is a release build, refusing a half one before any
 * work starts: ONSITE_RELEASE=1 and BUNDLE_SIGNING_KEY_FILE come together
 * or not at all.
 */
export function isReleaseBuild(env: NodeJS.ProcessEnv): boolean {
  if (env.ONSITE_RELEASE !== undefined && env.ONSITE_RELEASE !== '1')
    throw new Error(`ONSITE_RELEASE is 1 for a release build or unset, not "${env.ONSITE_RELEASE}"`);
  const release = env.ONSITE_RELEASE === '1';
  if (env.BUNDLE_SIGNING_KEY_FILE && !release)
    throw new Error('BUNDLE_SIGNING_KEY_FILE is for release builds: set ONSITE_RELEASE=1 with it (a development build signs with dist/dev-bundle-key.json)');
  if (release && !env.BUNDLE_SIGNING_KEY_FILE)
    throw new Error("a release bundle (ONSITE_RELEASE=1) needs BUNDLE_SIGNING_KEY_FILE: the vendor's Ed25519 private key as a JWK with kid");
  return release;
}

/**
 * Picks the bundle-signing key, refusing every mix of release and
 * development: ONSITE_RELEASE=1 and BUNDLE_SIGNING_KEY_FILE go together,
 * and that key must be one of the vendor keys in
 * licenses/keys/bundle-signing-keys.json (never the development key); a
 * development build signs with dist/dev-bundle-key.json, whose id must not
 * be a vendor key's. A vendor-signed bundle therefore never trusts a
 * development key, and a development bundle never passes for a release.
 */
export function bundleSigningKey(root: string, env: NodeJS.ProcessEnv): BundleSigningKey {
  const release = isReleaseBuild(env);
  const vendor = JSON.parse(readFileSync(join(root, 'licenses/keys/bundle-signing-keys.json'), 'utf8')) as Record<string, string>;
  const devFile = join(root, 'dist/dev-bundle-key.json');
  if (release) {
    const jwk = readJwk(env.BUNDLE_SIGNING_KEY_FILE!);
    if (vendor[jwk.kid] !== jwk.x)
      throw new Error(
        `the key in BUNDLE_SIGNING_KEY_FILE (kid "${jwk.kid}") is not a vendor key: its public half must be in licenses/keys/bundle-signing-keys.json under that kid`,
      );
    if (existsSync(devFile) && readJwk(devFile).x === jwk.x)
      throw new Error('BUNDLE_SIGNING_KEY_FILE holds the development key: a release is never signed with it');
    return { jwk, release, trusted: Object.freeze({ ...vendor }) };
  }
  if (!existsSync(devFile)) throw new Error('dist/dev-bundle-key.json is missing: npm run build makes it (a development bundle is signed with it)');
  const jwk = readJwk(devFile);
  if (Object.hasOwn(vendor, jwk.kid) || Object.values(vendor).includes(jwk.x))
    throw new Error(`the development key's id "${jwk.kid}" or key is a vendor key's: delete dist/dev-bundle-key.json and npm run build again`);
  return { jwk, release, trusted: Object.freeze({ [jwk.kid]: jwk.x }) };
}
