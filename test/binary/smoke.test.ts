// Smoke test of the single executable dist/onsite, run as an operator would:
// from an empty folder, with nothing but environment variables. Builds the
// binary first when it is missing or older than the sources.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestBundle } from '../helpers/bundle.ts';
import { makeDocx, makePdf } from '../helpers/documents.ts';
import { freePort } from '../helpers/processes.ts';
import { startFakeOllama } from '../fixtures/ollama/server.ts';
import { startSite } from '../fixtures/web/site.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BINARY = join(ROOT, 'dist', 'onsite');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** Newest modification time among the files that go into the binary. */
function newestSource(): number {
  let newest = 0;
  const visit = (path: string) => {
    if (!existsSync(path)) return;
    const st = statSync(path);
    if (st.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
    else newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of [
    'server',
    'miner',
    'browser',
    'bundle',
    'package.json',
    'package-lock.json',
    'node_modules/better-sqlite3/prebuilds/linux-x64.node',
    'licenses',
  ])
    visit(join(ROOT, p));
  return newest;
}

function ensureBinary(): void {
  if (existsSync(BINARY) && statSync(BINARY).mtimeMs >= newestSource()) return;
  // Same as `npm run build`, without depending on npm being on PATH.
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(ROOT, 'bundle', 'build-binary.ts')], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 170_000,
  });
}

const secret = () => randomBytes(32).toString('base64url');

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const children = new Set<ChildProcess>();

function start(args: string[], env: NodeJS.ProcessEnv, cwd: string) {
  // A clean environment: nothing from the test runner (NODE_OPTIONS and the like) leaks in.
  const child = spawn(BINARY, args, { cwd, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<RunResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      children.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, exited, output: () => `--- stdout\n${stdout}\n--- stderr\n${stderr}` };
}

/** Runs a one-shot command of the binary; kills it after `timeoutMs`. */
async function run(args: string[], env: NodeJS.ProcessEnv, cwd: string, timeoutMs = 20_000): Promise<RunResult> {
  const p = start(args, env, cwd);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  try {
    return await p.exited;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The knowledge base inside the binary: a PDF (pdf.js) and a Word document
 * (mammoth) uploaded, extracted, chunked, embedded through the miner and
 * found by search, all from code and migrations embedded in the executable.
 */
async function knowledgeInBinary(base: string, bootstrap: string): Promise<void> {
  const claim = await fetch(`${base}/api/setup/claim`, {
    method: 'POST',
    headers: { origin: base, 'content-type': 'application/json' },
    body: JSON.stringify({ token: bootstrap, name: 'Admin', email: 'admin@example.test', password: 'correct-Horse-battery-9' }),
  });
  expect(claim.status).toBe(201);
  const cookie = claim.headers.get('set-cookie')!.split(';')[0]!;
  const csrf = ((await claim.json()) as { csrfToken: string }).csrfToken;
  const headers = { origin: base, cookie, 'x-csrf-token': csrf };
  const post = async (path: string, body: unknown) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect((await post('/api/models', { name: 'nomic-embed-text', kind: 'embedding', contextLength: 2048, dimensions: 768, isDefault: true })).status).toBe(201);
  const collection = ((await (await post('/api/collections', { name: 'Binary' })).json()) as { id: number }).id;
  const form = new FormData();
  form.append('file', new Blob([Buffer.from(await makePdf([['The Ocelot backup tape rotates every Friday.']], { title: 'Tape rotation' }))]), 'tapes.pdf');
  form.append(
    'file',
    new Blob([Buffer.from(await makeDocx([{ text: 'Visitor wifi', heading: 1 }, { text: 'The Pangolin guest network password changes weekly.' }]))]),
    'wifi.docx',
  );
  const up = await fetch(`${base}/api/collections/${collection}/documents`, { method: 'POST', headers, body: form });
  expect(up.status, await up.clone().text()).toBe(202);
  const t0 = performance.now();
  for (;;) {
    const docs = (
      (await (await fetch(`${base}/api/collections/${collection}`, { headers })).json()) as { documents: Array<{ status: string; error: string | null }> }
    ).documents;
    if (docs.length === 2 && docs.every((d) => d.status === 'ready')) break;
    if (docs.some((d) => d.status === 'failed') || performance.now() - t0 > 20_000) throw new Error(`documents not ready: ${JSON.stringify(docs)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const [query, title] of [
    ['Ocelot tape', 'Tape rotation'],
    ['Pangolin guest password', 'Visitor wifi'],
  ]) {
    const found = (await (await post('/api/search', { query })).json()) as { mode: string; results: Array<{ title: string }> };
    expect(found.mode).toBe('hybrid');
    expect(found.results[0]?.title).toBe(title);
  }
}

let tmp = '';
let work = '';
let dataDir = '';
let env: NodeJS.ProcessEnv = {};

beforeAll(async () => {
  ensureBinary();
  tmp = mkdtempSync(join(tmpdir(), 'onsite-binary-'));
  work = join(tmp, 'work'); // the empty folder commands run from
  dataDir = join(tmp, 'data');
  mkdirSync(work);
  const port = await freePort();
  env = {
    ONSITE_DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: String(port),
    // The address the test opens: the only origin the CSRF check accepts.
    APP_BASE_URL: `http://127.0.0.1:${port}`,
    LOG_LEVEL: 'warn',
    SESSION_SECRET: secret(),
    // The admin signs in with a password alone and goes on to the API (MFA is tested in test/server/auth/).
    MFA_REQUIRED: 'off',
    DB_ENCRYPTION_KEY: secret(),
    MINER_ENROLLMENT_SECRET: secret(),
    BROWSER_SERVICE_AUTH_TOKEN: secret(),
    // No sidecar runs here: a loopback address, so health probes never ask DNS for `browser`.
    BROWSER_SERVICE_URL: 'http://127.0.0.1:2',
    // Without an admin, readiness waits for a bootstrap token (the init script sets one).
    ONSITE_BOOTSTRAP_TOKEN: secret(),
  };
}, 180_000);

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('dist/onsite, the single executable', () => {
  it('prints the version from package.json and the build revision', async () => {
    const r = await run(['--version'], {}, work);
    expect(r.code, r.stderr).toBe(0);
    const m = /^onsite (\S+) \((\S+)\)\n$/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    expect(m![1]).toBe(VERSION);
    // Set by the build from git; `source` would mean the define did not apply.
    expect(m![2]).toMatch(/^([0-9a-f]{4,}(-dirty)?|unknown)$/);
  });

  it('refuses to serve without SESSION_SECRET, naming it', async () => {
    const { SESSION_SECRET: _omitted, ...rest } = env;
    const r = await run(['serve'], { ...rest, ONSITE_DATA_DIR: join(tmp, 'refused'), PORT: String(await freePort()) }, work);
    expect(r.signal, 'serve kept running without SESSION_SECRET').toBeNull();
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/SESSION_SECRET/);
  });

  it('serves from an empty folder: ready, UI with embedded assets, online backup, clean SIGTERM', async () => {
    expect(readdirSync(work)).toEqual([]);
    const base = `http://127.0.0.1:${env.PORT}`;
    const t0 = performance.now();
    const server = start(['serve'], env, work);
    let exitedEarly: RunResult | undefined;
    void server.exited.then((r) => (exitedEarly = r));

    // Ready: database created and migrated, natives loaded from the embedded assets.
    for (;;) {
      if (exitedEarly) throw new Error(`serve exited with ${exitedEarly.code ?? exitedEarly.signal}\n${server.output()}`);
      if (performance.now() - t0 > 20_000) throw new Error(`not ready within 20 s\n${server.output()}`);
      const res = await fetch(`${base}/health/ready`).catch(() => undefined);
      if (res?.status === 200) break;
      await res?.body?.cancel();
      await new Promise((r) => setTimeout(r, 20));
    }
    const readyMs = performance.now() - t0;
    console.log(`dist/onsite serve: ready in ${readyMs.toFixed(0)} ms (empty data folder)`);

    const home = await fetch(`${base}/`);
    expect(home.status).toBe(200);
    const html = await home.text();
    expect(html).toContain('Onsite');
    const cssUrl = /href="(\/static\/app\.css[^"]*)"/.exec(html)?.[1];
    expect(cssUrl, 'the page links /static/app.css').toBeDefined();
    const css = await fetch(`${base}${cssUrl}`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expect(await css.text()).toBe(readFileSync(join(ROOT, 'server/ui/static/app.css'), 'utf8'));

    // Online backup while the server runs.
    const backupFile = join(tmp, 'backup.db');
    const backup = await run(['backup', backupFile], env, work);
    expect(backup.code, `${backup.stdout}\n${backup.stderr}`).toBe(0);
    expect(existsSync(backupFile)).toBe(true);
    expect(existsSync(`${backupFile}.sha256`)).toBe(true);

    // The miner role of the same binary enrolls, connects over the WebSocket and serves the test Ollama's models.
    const ollama = await startFakeOllama();
    const miner = start(
      ['miner'],
      {
        SERVER_URL: base,
        OLLAMA_HOST: ollama.url,
        MINER_ENROLLMENT_SECRET: env.MINER_ENROLLMENT_SECRET,
        MINER_STATE_DIR: join(tmp, 'miner-state'),
        HOST: '127.0.0.1',
        PORT: String(await freePort()),
        MINER_HEARTBEAT_INTERVAL: '1',
        LOG_LEVEL: 'warn',
      },
      work,
    );
    try {
      const t2 = performance.now();
      // The miners check, not the overall status: no browser sidecar runs here, so `/health` stays degraded.
      for (;;) {
        const h = (await (await fetch(`${base}/health/ready`)).json()) as { checks: Record<string, { ok: boolean }> };
        if (h.checks.miners?.ok) break;
        if (performance.now() - t2 > 20_000) throw new Error(`the miner did not connect\n${miner.output()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      await knowledgeInBinary(base, env.ONSITE_BOOTSTRAP_TOKEN!);
      miner.child.kill('SIGTERM');
      expect((await miner.exited).code, miner.output()).toBe(0);
      expect(statSync(join(tmp, 'miner-state', 'identity.json')).mode & 0o777).toBe(0o600);
    } finally {
      miner.child.kill('SIGKILL');
      await ollama.close();
    }

    const t1 = performance.now();
    server.child.kill('SIGTERM');
    const exit = await Promise.race([server.exited, new Promise<undefined>((r) => setTimeout(r, 5_000))]);
    const stopMs = performance.now() - t1;
    expect(exit, `no exit within 5 s of SIGTERM\n${server.output()}`).toBeDefined();
    expect({ code: exit!.code, signal: exit!.signal }, server.output()).toEqual({ code: 0, signal: null });
    expect(stopMs).toBeLessThan(5_000);
    console.log(`dist/onsite serve: exited 0 in ${stopMs.toFixed(0)} ms after SIGTERM`);
    expect(readdirSync(work), 'nothing is written to the working folder').toEqual([]);
  });

  it('doctor loads sqlite-vec inside the binary', async () => {
    expect(existsSync(join(dataDir, 'onsite.db')), 'the serve test created the database').toBe(true);
    const r = await run(['doctor'], env, work);
    expect(r.stdout).toMatch(/^✓ sqlite-vec: v0\.1\.\d+/m);
    expect(r.stdout).toMatch(/^✓ schema: current$/m);
    expect(r.code, r.stdout).toBe(0);
  });
});

describe('the browser role of dist/onsite', () => {
  it('reads a loopback page with the embedded Readability, refuses loopback it was not allowed, and stops on SIGTERM', async () => {
    const site = await startSite('127.0.0.2');
    const token = secret();
    const port = await freePort();
    const sidecar = start(
      ['browser'],
      {
        BROWSER_SERVICE_AUTH_TOKEN: token,
        HOST: '127.0.0.1',
        PORT: String(port),
        BROWSER_SERVICE_POOL_SIZE: '1',
        BROWSER_SESSION_MAX_COUNT: '1',
        BROWSER_SERVICE_ALLOWED_INTERNAL_HOSTS: '127.0.0.2',
        LOG_LEVEL: 'warn',
      },
      work,
    );
    try {
      const call = async (url: string) => {
        const res = await fetch(`http://127.0.0.1:${port}/fetch`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ url }),
        });
        return { status: res.status, body: (await res.json()) as { title?: string; text?: string; error?: { code: string } } };
      };
      const t0 = performance.now();
      while (
        !(await fetch(`http://127.0.0.1:${port}/health`, { headers: { authorization: `Bearer ${token}` } }).then(
          (r) => r.ok,
          () => false,
        ))
      ) {
        if (performance.now() - t0 > 30_000) throw new Error(`the sidecar did not start\n${sidecar.output()}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const page = await call(`${site.url}/article`);
      expect(page.status, sidecar.output()).toBe(200);
      expect(page.body.title).toBe('Onsite field notes');
      expect(page.body.text).toContain('Nothing leaves the building');
      expect(page.body.text).not.toContain('Copyright footer'); // Readability ran inside the page
      const refused = await call(`http://127.1:${site.port}/`);
      expect(refused).toMatchObject({ status: 403, body: { error: { code: 'url_refused' } } });
      sidecar.child.kill('SIGTERM');
      expect((await sidecar.exited).code, sidecar.output()).toBe(0);
    } finally {
      sidecar.child.kill('SIGKILL');
      await site.close();
    }
  }, 60_000);
});

describe('licensing in dist/onsite', () => {
  const devKeyFile = join(ROOT, 'dist', 'dev-license-key.json');

  it('request code → vendor tool (development key) → install → status', async () => {
    const request = await run(['license', 'request'], env, work);
    expect(request.code, request.stderr).toBe(0);
    const code = request.stdout.trim();
    expect(code).toMatch(/^ONSR1-/);
    const activation = execFileSync(
      process.execPath,
      [
        join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
        join(ROOT, 'licenses/vendor/cli.ts'),
        'issue',
        '--key',
        devKeyFile,
        '--request',
        code,
        '--customer',
        'Binary Test',
        '--seats',
        '12',
        '--days',
        '90',
      ],
      { encoding: 'utf8' },
    ).trim();
    const install = await run(['license', 'install', activation], env, work);
    expect(install.code, install.stdout + install.stderr).toBe(0);
    const status = await run(['license', 'status'], env, work);
    expect(status.stdout).toMatch(/^state: active$/m);
    // The admin claimed by the serve test (for the knowledge base) holds one seat.
    expect(status.stdout).toMatch(/^seats: 1 used of 12$/m);
    expect(status.stdout).toMatch(/89 days left/);
    // The same code again on another installation: refused, with its reason.
    const other = await run(['license', 'install', activation], { ...env, ONSITE_DATA_DIR: join(tmp, 'other') }, work);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/\[wrong_installation\]/);
  });

  it('a release build refuses codes signed with the development key', { timeout: 180_000 }, async () => {
    const outDir = join(tmp, 'release');
    const log = execFileSync(
      process.execPath,
      [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(ROOT, 'bundle', 'build-binary.ts'), '--out', outDir],
      {
        cwd: ROOT,
        env: { ...process.env, ONSITE_RELEASE: '1' },
        encoding: 'utf8',
      },
    );
    expect(log).toMatch(/release build: vendor keys only/);
    const releaseEnv = { ...env, ONSITE_DATA_DIR: join(tmp, 'release-data') };
    const runRelease = (args: string[]) =>
      new Promise<RunResult>((resolve) => {
        const child = spawn(join(outDir, 'onsite'), args, { cwd: work, env: { PATH: process.env.PATH, ...releaseEnv } });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
      });
    const request = (await runRelease(['license', 'request'])).stdout.trim();
    const devSigned = execFileSync(
      process.execPath,
      [
        join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
        join(ROOT, 'licenses/vendor/cli.ts'),
        'issue',
        '--key',
        devKeyFile,
        '--request',
        request,
        '--customer',
        'X',
        '--seats',
        '3',
      ],
      { encoding: 'utf8' },
    ).trim();
    const r = await runRelease(['license', 'install', devSigned]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\[unknown_key\]/);
    const dev = JSON.parse(readFileSync(devKeyFile, 'utf8')) as { x: string };
    expect(readFileSync(join(outDir, 'onsite')).includes(dev.x), 'the development public key is absent').toBe(false);

    // Bundles too: one signed with the development bundle key is refused before anything is written.
    const devBundleKey = JSON.parse(readFileSync(join(ROOT, 'dist', 'dev-bundle-key.json'), 'utf8')) as Record<string, string> & { x: string };
    expect(readFileSync(join(outDir, 'onsite')).includes(devBundleKey.x), 'the development bundle key is absent').toBe(false);
    const bundle = makeTestBundle(join(tmp, 'dev-signed-bundle'));
    bundle.sign(devBundleKey);
    const init = await runRelease(['init', '--bundle', bundle.dir, '--skip-images']);
    expect(init.code).toBe(1);
    expect(init.stderr).toMatch(/signed with key "development", which this build does not trust .*\[signature_invalid\]/);
    expect(existsSync(join(bundle.dir, '.env'))).toBe(false);
  });

  it('contains no private key and no issuing command', async () => {
    const bytes = readFileSync(BINARY);
    const dev = JSON.parse(readFileSync(devKeyFile, 'utf8')) as { d: string; x: string };
    expect(bytes.includes(dev.x), 'the development public key is compiled in').toBe(true);
    expect(bytes.includes(dev.d), 'the development private key').toBe(false);
    const text = bytes.toString('latin1');
    // Node's own OpenSSL names PEM types, so look for key material, not the words.
    expect(text).not.toMatch(/-----BEGIN [A-Z ]*PRIVATE KEY-----\s*[A-Za-z0-9+/]{40}/);
    expect(text).not.toMatch(/"d"\s*:\s*"[\w-]{43}"/);
    for (const marker of ['encodeActivationCode', 'keygen --key-id', 'npm run license -- issue']) {
      expect(bytes.includes(marker), marker).toBe(false);
    }
    for (const args of [
      ['license', 'issue'],
      ['license', 'keygen'],
      ['license', 'inspect'],
    ]) {
      const r = await run(args, env, work);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toMatch(/usage: onsite license status \| request \| install CODE/);
    }
  });
});
