import { generateKeyPairSync } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyBundle } from '../../../server/init/bundle/verify.ts';
import { parseSums } from '../../../server/init/bundle/sums.ts';
import { isAppError } from '../../../server/kernel/errors.ts';
import { runInit } from '../../../server/init/run.ts';
import { makeTestBundle, TEST_BUNDLE_KEYRING, type TestBundle } from '../../helpers/bundle.ts';
import { tempDir } from '../../helpers/env.ts';
import { startFakeDocker } from '../../helpers/fake-docker.ts';

const tmp = tempDir('onsite-init-');
afterAll(tmp.cleanup);
let n = 0;
const fresh = () => makeTestBundle(join(tmp.dir, `b${++n}`));

// Each way a bundle can be wrong: init must stop with a clear message naming
// the file, before the Docker Engine hears anything and before any file is written.
const broken: Array<[string, (b: TestBundle) => void, string, RegExp]> = [
  [
    'a tampered image tarball',
    (b) => appendFileSync(join(b.dir, 'images/ollama.tar'), 'x'),
    'bundle_invalid',
    /images\/ollama\.tar does not match its SHA-256/,
  ],
  [
    'a tampered compose file',
    (b) => writeFileSync(join(b.dir, 'compose/docker-compose.yml'), 'services: {evil: {}}\n'),
    'bundle_invalid',
    /compose\/docker-compose\.yml does not match/,
  ],
  [
    'a tampered SHA256SUMS',
    (b) => appendFileSync(join(b.dir, 'SHA256SUMS'), `${'0'.repeat(64)}  images/extra.tar\n`),
    'signature_invalid',
    /SHA256SUMS\.sig: the signature .* does not match SHA256SUMS/,
  ],
  ['a missing SHA256SUMS.sig', (b) => rmSync(join(b.dir, 'SHA256SUMS.sig')), 'signature_invalid', /SHA256SUMS\.sig is missing/],
  ['a missing SHA256SUMS', (b) => rmSync(join(b.dir, 'SHA256SUMS')), 'bundle_invalid', /SHA256SUMS is missing/],
  ['a garbled signature file', (b) => writeFileSync(join(b.dir, 'SHA256SUMS.sig'), 'not json'), 'signature_invalid', /SHA256SUMS\.sig: not a bundle signature/],
  [
    'a signature by a key this build does not trust',
    (b) => b.sign({ ...(generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }) as Record<string, string>), kid: 'someone-else' }),
    'signature_invalid',
    /signed with key "someone-else", which this build does not trust \(trusted: test-bundle-key\)/,
  ],
  [
    'a bad signature under the trusted key id',
    (b) => b.sign({ ...(generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }) as Record<string, string>), kid: 'test-bundle-key' }),
    'signature_invalid',
    /the signature by key "test-bundle-key" does not match/,
  ],
  ['an unlisted image', (b) => writeFileSync(join(b.dir, 'images/extra.tar'), 'x'), 'bundle_invalid', /images\/extra\.tar is not listed in SHA256SUMS/],
  [
    'an unlisted model blob',
    (b) => writeFileSync(join(b.dir, 'models/blobs/sha256-' + 'a'.repeat(64)), 'x'),
    'bundle_invalid',
    /models\/blobs\/sha256-a+ is not listed/,
  ],
  [
    'an unlisted .env (an attacker’s secrets and bootstrap token)',
    (b) => writeFileSync(join(b.dir, '.env'), 'ONSITE_BOOTSTRAP_TOKEN=known-to-the-attacker\n'),
    'bundle_invalid',
    /\.env is not part of the bundle and init has no record of writing it/,
  ],
  [
    'an unlisted tls/ folder',
    (b) => (mkdirSync(join(b.dir, 'tls')), writeFileSync(join(b.dir, 'tls/ca.key'), 'x')),
    'bundle_invalid',
    /tls\/ca\.key is not part of the bundle/,
  ],
  [
    'an unlisted compose override that mounts / and the Docker socket',
    (b) =>
      writeFileSync(join(b.dir, 'docker-compose.override.yml'), 'services: {server: {volumes: ["/:/host", "/var/run/docker.sock:/var/run/docker.sock"]}}\n'),
    'bundle_invalid',
    /docker-compose\.override\.yml is not listed in SHA256SUMS: every file of the bundle must be signed/,
  ],
  [
    'an unlisted file in a listed folder',
    (b) => writeFileSync(join(b.dir, 'scripts/evil.sh'), 'x'),
    'bundle_invalid',
    /scripts\/evil\.sh is not listed in SHA256SUMS/,
  ],
  ['a symbolic link at the top', (b) => symlinkSync('/etc', join(b.dir, 'etc')), 'bundle_invalid', /^etc is not a plain file/],
  ['a listed file that is missing', (b) => rmSync(join(b.dir, 'scripts/init.sh')), 'bundle_invalid', /scripts\/init\.sh is listed in SHA256SUMS but missing/],
  [
    'a symbolic link under images/',
    (b) => symlinkSync('/etc/passwd', join(b.dir, 'images/link.tar')),
    'bundle_invalid',
    /images\/link\.tar is not a plain file/,
  ],
  [
    'a signed list that points outside the bundle',
    (b) => {
      b.files.set('../outside', Buffer.from('x'));
      writeFileSync(join(b.dir, '..', 'outside'), 'x');
      b.sign();
    },
    'bundle_invalid',
    /SHA256SUMS line \d+: an empty, "\." or "\.\." path segment: \.\.\/outside/,
  ],
];

describe('bundle verification', () => {
  it('accepts a good bundle, names the signing key and its fingerprint', async () => {
    const b = fresh();
    const v = await verifyBundle(b.dir, TEST_BUNDLE_KEYRING);
    expect(v.signer.kid).toBe('test-bundle-key');
    expect(v.signer.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect([...v.hashes.keys()].sort()).toEqual([...b.files.keys()].sort());
  });

  it.each(broken)('refuses %s, and init loads and writes nothing', async (_name, breakIt, code, message) => {
    const b = fresh();
    breakIt(b);
    await expect(verifyBundle(b.dir, TEST_BUNDLE_KEYRING)).rejects.toSatisfy((e) => isAppError(e, code as never) && message.test((e as Error).message));

    const before = readdirSync(b.dir).sort();
    const envBefore = existsSync(join(b.dir, '.env')) ? readFileSync(join(b.dir, '.env'), 'utf8') : undefined;
    const tlsBefore = existsSync(join(b.dir, 'tls')) ? readdirSync(join(b.dir, 'tls')) : undefined;
    const docker = await startFakeDocker(makeDir(`d${n}`));
    const ollama = makeDir(`o${n}`);
    const lines: string[] = [];
    try {
      await expect(
        runInit(
          {
            bundleDir: b.dir,
            ollamaDir: ollama,
            dockerSocket: docker.socketPath,
            skipImages: false,
            hosts: [],
            keyring: TEST_BUNDLE_KEYRING,
            version: '0.1.0',
          },
          (l) => lines.push(l),
        ),
      ).rejects.toSatisfy((e) => isAppError(e, code as never));
    } finally {
      await docker.close();
    }
    expect(docker.requests).toEqual([]);
    expect(existsSync(join(b.dir, '.env')) ? readFileSync(join(b.dir, '.env'), 'utf8') : undefined).toBe(envBefore);
    expect(existsSync(join(b.dir, 'tls')) ? readdirSync(join(b.dir, 'tls')) : undefined).toEqual(tlsBefore);
    expect(readdirSync(b.dir).sort()).toEqual(before);
    expect(readdirSync(ollama)).toEqual([]);
  });

  it('parses sha256sum output in text and binary mode and refuses anything else', () => {
    const h = 'ab'.repeat(32);
    expect(parseSums(`${h}  a/b.tar\n${h.toUpperCase()} *./c\n`)).toEqual([
      { path: 'a/b.tar', sha256: h },
      { path: 'c', sha256: h },
    ]);
    expect(() => parseSums('')).toThrow(/lists no file/);
    expect(() => parseSums(`${h}  /etc/passwd\n`)).toThrow(/line 1: an absolute path/);
    expect(() => parseSums(`${h}  a\\b\n`)).toThrow(/backslash/);
    expect(() => parseSums(`${h}  a\n${h}  a\n`)).toThrow(/line 2: a is listed twice/);
    expect(() => parseSums(`${h} a\n`)).toThrow(/line 1: not "<sha256 hex> {2}<path>"/);
    expect(() => parseSums(`\\${h}  a\\nb\n`)).toThrow(/line 1/);
  });
});

function makeDir(name: string): string {
  const dir = join(tmp.dir, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  return dir;
}
