import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { keyFingerprint, signBundleSums, type BundleSigner } from '../server/init/bundle/signature.ts';
import { SIGNATURE_FILES } from '../server/init/bundle/verify.ts';
import type { BundleSigningKey } from './signing-key.ts';
import { signSshSig } from './stock-keys.ts';
import { walk } from './walk.ts';

// Image tarballs are large: hash them in chunks rather than reading them whole.
function sha256(file: string): string {
  const hash = createHash('sha256');
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(4 * 1024 * 1024);
  try {
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0;) hash.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/**
 * Writes SHA256SUMS (every file, sorted), its signature SHA256SUMS.sig and
 * its SSH signature SHA256SUMS.sshsig (for stock tools) into the bundle
 * folder; returns the signer.
 */
export function writeSums(dir: string, key: BundleSigningKey): BundleSigner {
  const lines = walk(dir)
    .map((f) => relative(dir, f).split(sep).join('/'))
    .filter((f) => !(SIGNATURE_FILES as readonly string[]).includes(f))
    .sort()
    .map((f) => {
      if (statSync(join(dir, f)).size === 0 && f.startsWith('images/')) throw new Error(`${f} is empty`);
      return `${sha256(join(dir, f))}  ${f}`;
    });
  const sums = Buffer.from(`${lines.join('\n')}\n`);
  writeFileSync(join(dir, 'SHA256SUMS'), sums);
  writeFileSync(join(dir, 'SHA256SUMS.sig'), signBundleSums(sums, key.jwk));
  writeFileSync(join(dir, 'SHA256SUMS.sshsig'), signSshSig(sums, key.jwk));
  return { kid: key.jwk.kid, fingerprint: keyFingerprint(key.jwk.x) };
}
