import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { initCommand } from '../../../server/cli/init.ts';
import { parseEnvText } from '../../../server/init/env/dotenv.ts';
import { envEntries, INIT_SECRETS } from '../../../server/init/env/entries.ts';
import { isAppError } from '../../../server/kernel/errors.ts';
import { runInit, type InitOptions } from '../../../server/init/run.ts';
import { makeTestBundle, TEST_BUNDLE_KEYRING } from '../../helpers/bundle.ts';
import { tempDir } from '../../helpers/env.ts';
import { startFakeDocker } from '../../helpers/fake-docker.ts';

const tmp = tempDir('onsite-run-');
afterAll(tmp.cleanup);
let n = 0;

async function setup() {
  const base = join(tmp.dir, `r${++n}`);
  const bundle = makeTestBundle(join(base, 'bundle'));
  const ollama = join(base, 'ollama');
  mkdirSync(ollama);
  const docker = await startFakeDocker(base);
  const options: InitOptions = {
    bundleDir: bundle.dir,
    ollamaDir: ollama,
    dockerSocket: docker.socketPath,
    skipImages: false,
    hosts: ['ai.corp.example'],
    owner: { uid: process.getuid!(), gid: process.getgid!() },
    serverGid: process.getgid!(),
    keyring: TEST_BUNDLE_KEYRING,
    version: '0.1.0',
  };
  const run = async (o: Partial<InitOptions> = {}) => {
    const lines: string[] = [];
    const summary = await runInit({ ...options, ...o }, (l) => lines.push(l));
    return { summary, text: lines.join('\n') };
  };
  return { bundle, ollama, docker, run };
}

const snapshot = (dir: string) =>
  Object.fromEntries(['.env', 'tls/ca.crt', 'tls/ca.key', 'tls/server.crt', 'tls/server.key'].map((f) => [f, readFileSync(join(dir, f), 'utf8')]));

describe('onsite init, end to end on a test bundle', () => {
  it('verifies, loads images, imports models, writes .env and TLS, and prints only the bootstrap token', async () => {
    const { bundle, ollama, docker, run } = await setup();
    const { text } = await run();
    await docker.close();
    expect(docker.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /_ping',
      'POST /images/load?quiet=1',
      'POST /images/load?quiet=1',
      'POST /volumes/create',
    ]);
    expect(readdirSync(join(ollama, 'models'))).toEqual(['blobs', 'manifests']);
    expect(statSync(join(bundle.dir, '.env')).mode & 0o777).toBe(0o600);
    const env = parseEnvText(readFileSync(join(bundle.dir, '.env'), 'utf8'));
    expect(env.get('TLS_HOSTS')).toBe('ai.corp.example');
    expect(env.get('ALLOWED_HOSTS')).toBe('ai.corp.example');

    expect(text).toMatch(/✓ SHA256SUMS is signed by bundle key "test-bundle-key"\n {2}key fingerprint \(SHA-256\): ([0-9A-F]{2}:){31}[0-9A-F]{2}/);
    expect(text).toMatch(/✓ 7 files match SHA256SUMS/);
    expect(text).toMatch(/✓ loaded test\/image-\d:1\.0 from images\/ollama\.tar/);
    expect(text).toMatch(/✓ models: tiny:latest\n {2}blobs: 2 copied/);
    expect(text).toMatch(/✓ \.env \(mode 0600\): created/);
    expect(text).toMatch(/✓ TLS: created .*tls\/server\.crt for ai\.corp\.example, localhost, 127\.0\.0\.1, ::1, server/);
    expect(text).toMatch(/docker compose up -d/);
    expect(text).toMatch(/http:\/\/localhost:8000\/setup/);
    expect(text).toContain(`    ${env.get('ONSITE_BOOTSTRAP_TOKEN')}\n`);
    for (const key of INIT_SECRETS.filter((k) => k !== 'ONSITE_BOOTSTRAP_TOKEN')) expect(text).not.toContain(env.get(key)!);
    expect(text).not.toContain('PRIVATE KEY');
  });

  it('a rerun keeps every secret, certificate and model, and says so', async () => {
    const { bundle, docker, run } = await setup();
    await run();
    const before = snapshot(bundle.dir);
    const { text, summary } = await run({ hosts: [] });
    expect(snapshot(bundle.dir)).toEqual(before);
    expect(summary.models).toMatchObject({ blobsCopied: 0, blobsPresent: 2, manifestsKept: 1 });
    expect(text).toMatch(new RegExp(String.raw`✓ \.env \(mode 0600\): unchanged\n {2}kept all ${envEntries('0.1.0').length} values`));
    expect(text).toMatch(/✓ TLS: kept tls\/ca\.crt, tls\/ca\.key, tls\/server\.crt, tls\/server\.key/);
    expect(text).toMatch(/Bootstrap token/);

    // A key deleted by hand comes back; every other line stays.
    const edited = before['.env']!.replace(/^MINER_ENROLLMENT_SECRET=.*\n/m, '');
    writeFileSync(join(bundle.dir, '.env'), edited);
    const third = await run({ skipImages: true });
    expect(third.text).toMatch(/✓ \.env \(mode 0600\): updated\n {2}kept: COMPOSE_PROJECT_NAME, .*SESSION_SECRET.*\n {2}added: MINER_ENROLLMENT_SECRET\n/);
    expect(third.text).toMatch(/- images: skipped \(--skip-images\)/);
    expect(readFileSync(join(bundle.dir, '.env'), 'utf8').startsWith(edited)).toBe(true);
    await docker.close();
    expect(docker.requests.filter((r) => r.url.startsWith('/images/load'))).toHaveLength(4); // two runs with images, none with --skip-images
  });

  it('without --ollama-dir the models are skipped, saying so; a bad --host stops before anything', async () => {
    const { bundle, docker, run } = await setup();
    await expect(run({ hosts: ['no such host'] })).rejects.toThrow(/--host: "no such host" is not a host name/);
    expect(readdirSync(bundle.dir)).not.toContain('.env');
    mkdirSync(join(bundle.dir, 'tls'));
    writeFileSync(join(bundle.dir, 'tls/server.crt'), 'half a pair');
    await expect(run()).rejects.toThrow(/tls\/server\.crt is not part of the bundle and init has no record of writing it/);
    expect(readdirSync(bundle.dir)).not.toContain('.env');
    rmSync(join(bundle.dir, 'tls'), { recursive: true });
    const { text } = await run({ ollamaDir: undefined as unknown as string, skipImages: true });
    expect(text).toMatch(/- models: skipped \(no --ollama-dir\)/);
    await docker.close();
    expect(docker.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /volumes/create']); // init's record, no image
  });

  it('--images-only verifies, loads the images and imports the models, and writes nothing into the bundle folder', async () => {
    const { bundle, ollama, docker, run } = await setup();
    const listing = () => readdirSync(bundle.dir, { recursive: true }).map(String).sort();
    const before = listing();
    // As scripts/update.sh mounts it (-v "$new:/bundle:ro"); root writes anyway, so the listing is compared too.
    chmodSync(bundle.dir, 0o555);
    let result;
    try {
      result = await run({ imagesOnly: true, hosts: [] });
    } finally {
      chmodSync(bundle.dir, 0o755);
    }
    const { text, summary } = result;
    expect(listing()).toEqual(before);
    expect(before.filter((f) => f === '.env' || f.startsWith('tls'))).toEqual([]);
    expect(summary).toMatchObject({ env: 'skipped', tls: 'skipped' });
    expect(text).toMatch(/✓ 7 files match SHA256SUMS/);
    expect(text).toMatch(/✓ loaded test\/image-\d:1\.0 from images\/ollama\.tar/);
    expect(text).toMatch(/✓ models: tiny:latest/);
    expect(readdirSync(join(ollama, 'models'))).toEqual(['blobs', 'manifests']);
    expect(text).toMatch(/- \.env and tls\/: not touched \(--images-only\)$/);
    expect(text).not.toMatch(/Bootstrap|TLS:|\.env \(mode|docker compose/);
    expect(docker.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /_ping', 'POST /images/load?quiet=1', 'POST /images/load?quiet=1']);

    // A tampered bundle is refused before a single image is loaded.
    appendFileSync(join(bundle.dir, 'images/ollama.tar'), 'x');
    await expect(run({ imagesOnly: true, hosts: [] })).rejects.toSatisfy((e) => isAppError(e, 'bundle_invalid'));
    await docker.close();
    expect(docker.requests).toHaveLength(3);
    expect(readdirSync(bundle.dir)).not.toContain('.env');
  });
});

describe('onsite init (command line)', () => {
  it('refuses a bundle this build cannot verify, with exit code 1 and a clear message', async () => {
    const bundle = makeTestBundle(join(tmp.dir, 'cli'));
    const out: string[] = [];
    const err: string[] = [];
    const code = await initCommand.run(['--bundle', bundle.dir, '--skip-images'], {}, { out: (l) => out.push(l), err: (l) => err.push(l) });
    expect(code).toBe(1);
    expect(err.join('\n')).toMatch(
      /^onsite init: SHA256SUMS\.sig: signed with key "test-bundle-key", which this build does not trust .*\[signature_invalid\]$/,
    );
    expect(readdirSync(bundle.dir)).not.toContain('.env');
  });

  it('answers --help, and refuses unknown options and a bad HOST_UID with exit code 2', async () => {
    const out: string[] = [];
    const err: string[] = [];
    expect(await initCommand.run(['--help'], {}, { out: (l) => out.push(l), err: (l) => err.push(l) })).toBe(0);
    expect(out.join('\n')).toMatch(/--ollama-dir DIR/);
    expect(out.join('\n')).toMatch(/--images-only/);
    expect(await initCommand.run(['--images-only', '--skip-images'], {}, { out: (l) => out.push(l), err: (l) => err.push(l) })).toBe(2);
    expect(await initCommand.run(['--images-only', '--host', 'ai.corp.example'], {}, { out: (l) => out.push(l), err: (l) => err.push(l) })).toBe(2);
    expect(err.join('\n')).toMatch(/--images-only and --skip-images exclude each other/);
    expect(await initCommand.run(['--frobnicate'], {}, { out: (l) => out.push(l), err: (l) => err.push(l) })).toBe(2);
    expect(await initCommand.run([], { HOST_UID: 'root' }, { out: (l) => out.push(l), err: (l) => err.push(l) })).toBe(2);
    expect(err.join('\n')).toMatch(/HOST_UID must be a numeric id/);
  });

  it('is listed in the binary’s usage', () => {
    const usage = execFileSync(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'server/cli/main.ts', 'help'], { encoding: 'utf8' });
    expect(usage).toMatch(/^ {2}init \[--bundle DIR\] \[--ollama-dir DIR\]/m);
  });
});
