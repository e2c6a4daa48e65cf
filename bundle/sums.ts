import { createHash, createPublicKey } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { keyFingerprint, signBundleSums, type BundleSigner } from '../server/init/bundle/signature.ts';
import { walk } from './walk.ts';


// Image tarballs are large: hash them in chunks rather than reading them whole.
function sha256(file: string): string {
  const hash = createHash('sha256');
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(4 * 1024 * 1024);
  try {
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) hash.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/**
 * The key that signs bundles: the vendor's (a JWK with `kid`, from
 * BUNDLE_SIGNING_KEY_FILE) for a release, else the development key that
 * `npm run build` made in dist/ and compiled into this binary's keyring.
 */
function signingKey(root: string): Record<string, string> {
  const file = process.env.BUNDLE_SIGNING_KEY_FILE ?? (process.env.ONSITE_RELEASE === '1' ? undefined : join(root, 'dist/dev-bundle-key.json'));
  if (!file) throw new Error('a release bundle needs BUNDLE_SIGNING_KEY_FILE (the vendor\'s Ed25519 private key as a JWK with kid)');
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
}

/** Writes SHA256SUMS (every file, sorted) and SHA256SUMS.sig into the bundle folder; returns the signer. */
export function writeSums(root: string, dir: string): BundleSigner {
  const lines = walk(dir)
    .map((f) => relative(dir, f).split(sep).join('/'))
    .filter((f) => f !== 'SHA256SUMS' && f !== 'SHA256SUMS.sig')
    .sort()
    .map((f) => {
      if (statSync(join(dir, f)).size === 0 && f.startsWith('images/')) throw new Error(`${f} is empty`);
      return `${sha256(join(dir, f))}  ${f}`;
    });
  const sums = Buffer.from(`${lines.join('\n')}\n`);
  writeFileSync(join(dir, 'SHA256SUMS'), sums);
  const key = signingKey(root);
  writeFileSync(join(dir, 'SHA256SUMS.sig'), signBundleSums(sums, key));
  const x = (createPublicKey({ key, format: 'jwk' }).export({ format: 'jwk' }) as { x: string }).x;
  return { kid: key.kid!, fingerprint: keyFingerprint(x) };
}
