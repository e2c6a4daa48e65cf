import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { embedTrustedKeys, signSshSig } from '../../bundle/stock-keys.ts';
import type { Keyring } from '../../licenses/activation-code.ts';
import { signBundleSums } from '../../server/init/bundle/signature.ts';

const ROOT = resolve(import.meta.dirname, '../..');

// A bundle-signing key pair made fresh for each test process, like the
// licensing tests' vendor key: nothing about it is committed or compiled in.
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const TEST_KID = 'test-bundle-key';

/** The test vendor's bundle-signing private key as a JWK. */
export const TEST_BUNDLE_JWK = { ...(privateKey.export({ format: 'jwk' }) as Record<string, string>), kid: TEST_KID };

/** The bundle-signing keys tests trust. */
export const TEST_BUNDLE_KEYRING: Keyring = Object.freeze({ [TEST_KID]: (publicKey.export({ format: 'jwk' }) as { x: string }).x });

/** SHA-256 as hex. */
export const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** A model manifest in Ollama's format for a config blob and layers. */
export function manifestFor(config: string, layers: string[]): Buffer {
  const layer = (h: string, mediaType: string) => ({ mediaType, digest: `sha256:${h}`, size: 10 });
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: layer(config, 'application/vnd.docker.container.image.v1+json'),
      layers: layers.map((h) => layer(h, 'application/vnd.ollama.image.model')),
    }),
  );
}

/** A release bundle on disk with a signed SHA256SUMS. */
export interface TestBundle {
  dir: string;
  /** Every listed file's content by bundle-relative path. */
  files: Map<string, Buffer>;
  /** Writes a file (listed at the next `sign`). */
  put(path: string, content: Buffer | string): void;
  /** Rewrites SHA256SUMS from `files` and signs it (SHA256SUMS.sig and .sshsig) with `jwk` (the test key by default). */
  sign(jwk?: Record<string, string>): void;
}

/**
 * Makes a small bundle: compose and scripts files, two image tarballs and
 * an Ollama model (a manifest and two blobs), signed with the test key.
 */
export function makeTestBundle(dir: string): TestBundle {
  const files = new Map<string, Buffer>();
  const bundle: TestBundle = {
    dir,
    files,
    put(path, content) {
      const bytes = Buffer.from(content);
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), bytes);
      files.set(path, bytes);
    },
    sign(jwk = TEST_BUNDLE_JWK) {
      const sums = Buffer.from([...files].map(([p, b]) => `${sha256(b)}  ${p}\n`).join(''));
      writeFileSync(join(dir, 'SHA256SUMS'), sums);
      writeFileSync(join(dir, 'SHA256SUMS.sig'), signBundleSums(sums, jwk));
      writeFileSync(join(dir, 'SHA256SUMS.sshsig'), signSshSig(sums, jwk));
    },
  };
  bundle.put('compose/docker-compose.yml', 'services: {}\n');
  bundle.put('scripts/init.sh', '#!/bin/sh\n');
  bundle.put('images/onsite-0.1.0.tar', randomBytes(200_000));
  bundle.put('images/ollama.tar', randomBytes(50_000));
  const config = randomBytes(300);
  const weights = randomBytes(100_000);
  bundle.put(`models/blobs/sha256-${sha256(config)}`, config);
  bundle.put(`models/blobs/sha256-${sha256(weights)}`, weights);
  bundle.put('models/manifests/registry.example/library/tiny/latest', manifestFor(sha256(config), [sha256(weights)]));
  bundle.sign();
  return bundle;
}

/** A throwaway Ed25519 bundle-signing key as a JWK with `kid` (another vendor, an attacker). */
export function otherBundleKey(kid: string): Record<string, string> & { x: string } {
  return { ...(generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }) as Record<string, string> & { x: string }), kid };
}

/**
 * A bundle laid out as bundle/build-bundle.ts makes it for the operator
 * scripts: VERSION, the compose files, the real scripts/ (init.sh and
 * init.ps1 with `trusted` written in) and an onsite image tarball, signed
 * with the test key.
 */
export function makeOperatorBundle(dir: string, version: string, trusted: Keyring = TEST_BUNDLE_KEYRING): TestBundle {
  const bundle = makeTestBundle(dir);
  for (const path of ['compose/docker-compose.yml', 'images/onsite-0.1.0.tar']) {
    bundle.files.delete(path);
    rmSync(join(dir, path));
  }
  bundle.put('VERSION', `${version}\n`);
  bundle.put('docker-compose.yml', 'services: {}\n');
  bundle.put('docker-compose.gpu.yml', 'services: {}\n');
  for (const f of ['init.sh', 'init.ps1', 'update.sh', 'lib.sh']) {
    const text = readFileSync(join(ROOT, 'scripts', f), 'utf8');
    bundle.put(`scripts/${f}`, f.startsWith('init.') ? embedTrustedKeys(text, trusted) : text);
  }
  chmodSync(join(dir, 'scripts/init.sh'), 0o755);
  chmodSync(join(dir, 'scripts/update.sh'), 0o755);
  bundle.put(`images/onsite-${version}.tar`, randomBytes(20_000));
  bundle.sign();
  return bundle;
}
