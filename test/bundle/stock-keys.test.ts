import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { allowedSignersLine, embedTrustedKeys, publicKeyPem, renderVendorKeys, SSH_SIG_NAMESPACE } from '../../bundle/stock-keys.ts';
import { writeSums } from '../../bundle/sums.ts';
import { verifyBundle } from '../../server/init/bundle/verify.ts';
import { otherBundleKey } from '../helpers/bundle.ts';
import { tempDir } from '../helpers/env.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const tmp = tempDir('onsite-stock-keys-');
afterAll(tmp.cleanup);

// What an operator runs by hand (docs/verify.md), on what npm run bundle writes.
function stockChecks(dir: string, x: string) {
  writeFileSync(join(tmp.dir, 'key.pem'), publicKeyPem(x));
  writeFileSync(join(tmp.dir, 'allowed_signers'), `${allowedSignersLine(x)}\n`);
  const sig = (JSON.parse(readFileSync(join(dir, 'SHA256SUMS.sig'), 'utf8')) as { sig: string }).sig;
  writeFileSync(join(tmp.dir, 'sig.bin'), Buffer.from(sig, 'base64url'));
  const openssl = spawnSync(
    'openssl',
    ['pkeyutl', '-verify', '-pubin', '-inkey', join(tmp.dir, 'key.pem'), '-rawin', '-in', join(dir, 'SHA256SUMS'), '-sigfile', join(tmp.dir, 'sig.bin')],
    { encoding: 'utf8' },
  );
  const ssh = spawnSync(
    'ssh-keygen',
    ['-Y', 'verify', '-f', join(tmp.dir, 'allowed_signers'), '-I', SSH_SIG_NAMESPACE, '-n', SSH_SIG_NAMESPACE, '-s', join(dir, 'SHA256SUMS.sshsig')],
    {
      input: readFileSync(join(dir, 'SHA256SUMS')),
      encoding: 'utf8',
    },
  );
  return { openssl: openssl.status, ssh: ssh.status, sshSaid: ssh.stdout + ssh.stderr };
}

describe('signatures stock tools check', () => {
  it('SHA256SUMS.sig verifies with openssl pkeyutl and SHA256SUMS.sshsig with ssh-keygen -Y verify; a changed byte fails both', async () => {
    const key = otherBundleKey('vendor-2027');
    const dir = join(tmp.dir, 'bundle');
    mkdirSync(join(dir, 'images'), { recursive: true });
    writeFileSync(join(dir, 'VERSION'), '0.1.0\n');
    writeFileSync(join(dir, 'images/onsite-0.1.0.tar'), 'image');
    const signer = writeSums(dir, { jwk: key as never, release: true, trusted: { 'vendor-2027': key.x } });
    expect(signer.kid).toBe('vendor-2027');
    expect(readFileSync(join(dir, 'SHA256SUMS'), 'utf8')).not.toMatch(/SHA256SUMS/);
    const good = stockChecks(dir, key.x);
    expect(good).toMatchObject({ openssl: 0, ssh: 0 });
    expect(good.sshSaid).toMatch(/Good "onsite-bundle" signature for onsite-bundle with ED25519 key/);
    await expect(verifyBundle(dir, { 'vendor-2027': key.x })).resolves.toMatchObject({ signer: { kid: 'vendor-2027' } });

    expect(stockChecks(dir, otherBundleKey('x').x)).toMatchObject({ openssl: 1, ssh: 255 });
    appendFileSync(join(dir, 'SHA256SUMS'), `${'0'.repeat(64)}  images/extra.tar\n`);
    expect(stockChecks(dir, key.x)).toMatchObject({ openssl: 1, ssh: 255 });
  });

  it('writes the trusted keys into init.sh and init.ps1, which hold none in the source tree', () => {
    const key = otherBundleKey('vendor-2027');
    for (const f of ['init.sh', 'init.ps1']) {
      const source = readFileSync(join(ROOT, 'scripts', f), 'utf8');
      expect(source).toMatch(/^# begin trusted keys.*\n# end trusted keys$/m);
      const embedded = embedTrustedKeys(source, { 'vendor-2027': key.x });
      const line = `vendor-2027 ${publicKeyPem(key.x).split('\n')[1]} ${allowedSignersLine(key.x).split(' ').at(-1)}`;
      expect(embedded).toContain(`\n${line}\n# end trusted keys\n`);
      expect(embedded.replace(`${line}\n`, '')).toBe(source);
    }
    expect(execFileSync('bash', ['-n'], { input: embedTrustedKeys(readFileSync(join(ROOT, 'scripts/init.sh'), 'utf8'), { a: key.x }) }).toString()).toBe('');
  });

  it('docs/verify.md publishes exactly the vendor keys of licenses/keys/bundle-signing-keys.json', () => {
    const vendor = JSON.parse(readFileSync(join(ROOT, 'licenses/keys/bundle-signing-keys.json'), 'utf8')) as Record<string, string>;
    const doc = readFileSync(join(ROOT, 'bundle/docs/verify.md'), 'utf8');
    const block = /<!-- begin vendor keys -->\n([\s\S]*)\n<!-- end vendor keys -->/.exec(doc)?.[1];
    expect(block, 'paste renderVendorKeys(bundle-signing-keys.json) between the markers of bundle/docs/verify.md').toBe(renderVendorKeys(vendor));
    const key = otherBundleKey('vendor-2027');
    expect(renderVendorKeys({ 'vendor-2027': key.x })).toContain(`    ${allowedSignersLine(key.x)}`);
  });
});
