import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildTestkitImage } from '../docker/build-testkit.ts';
import { freePort, removeInitMarkers, sh } from '../e2e/bundle-kit.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

/**
 * The release bundle: its size per image (tarball, and gzip-compressed as
 * shipped) and the time from `init.sh` start to a healthy stack with the
 * bundle already extracted and its images not yet loaded. Needs a Docker
 * engine (test/run.sh starts one); the ollama service is the test server.
 */
export async function benchBundle(): Promise<Record<string, string>> {
  if (spawnSync('docker', ['info'], { stdio: 'ignore' }).status !== 0)
    return { 'release bundle': 'not measured: no Docker engine answers (start dockerd, as test/run.sh does)' };
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const work = mkdtempSync(join(tmpdir(), 'onsite-bench-bundle-'));
  const run = sh(work);
  const site = join(work, 'site');
  const compose = (...args: string[]) =>
    run('docker-compose', ['-f', 'docker-compose.yml', '-f', join(ROOT, 'test/docker/compose.test.yml'), ...args], { cwd: site });
  try {
    await buildTestkitImage();
    run('npx', ['tsx', join(ROOT, 'bundle/build-bundle.ts'), '--out', join(work, 'out'), '--without-ollama', '--archive', 'gz', '--skip-binary'], {
      cwd: ROOT,
    });
    const rows: Record<string, string> = {};
    const dir = join(work, 'out', `onsite-${version}`);
    for (const f of readdirSync(join(dir, 'images')).sort()) {
      const gz = spawnSync('sh', ['-c', `gzip -1 -c '${join(dir, 'images', f)}' | wc -c`], { encoding: 'utf8' }).stdout.trim();
      rows[`image ${f}: tarball / gzip -1`] = `${mib(statSync(join(dir, 'images', f)).size)} / ${mib(Number(gz))}`;
    }
    rows['whole bundle (.tar.gz)'] = mib(statSync(join(work, 'out', `onsite-${version}.tar.gz`)).size);

    mkdirSync(site);
    run('tar', ['-xzf', join(work, 'out', `onsite-${version}.tar.gz`), '-C', site, '--strip-components=1']);
    for (const ref of [`onsite:${version}`, `onsite-browser:${version}`]) spawnSync('docker', ['image', 'rm', '-f', ref], { stdio: 'ignore' });
    spawnSync('docker', ['volume', 'rm', '-f', 'onsite_data', 'onsite_miner_state', 'onsite_ollama'], { stdio: 'ignore' });
    const port = await freePort();
    const t0 = performance.now();
    run('bash', ['scripts/init.sh'], { cwd: site });
    const initMs = performance.now() - t0;
    let text = readFileSync(join(site, '.env'), 'utf8');
    text = text.replace(/^HTTP_PORT=.*$/m, `HTTP_PORT=${port}`).replace(/^HTTPS_PORT=.*$/m, `HTTPS_PORT=${await freePort()}`);
    writeFileSync(join(site, '.env'), text);
    compose('up', '-d');
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/health`)
        .then((r) => r.json() as Promise<{ status: string }>)
        .then(
          (b) => b.status === 'ok',
          () => false,
        );
      if (ok) break;
      if (performance.now() - t0 > 300_000) throw new Error('the stack did not become healthy within 300 s');
      await new Promise((r) => setTimeout(r, 250));
    }
    const totalMs = performance.now() - t0;
    rows['init.sh (verify, load images, .env, TLS) (s)'] = (initMs / 1000).toFixed(1);
    rows['init.sh start → /health ok through the published port (s)'] = (totalMs / 1000).toFixed(1);
    return rows;
  } finally {
    spawnSync('docker-compose', ['-f', 'docker-compose.yml', '-f', join(ROOT, 'test/docker/compose.test.yml'), 'down', '--volumes', '--remove-orphans'], {
      cwd: site,
      stdio: 'ignore',
    });
    removeInitMarkers();
    rmSync(work, { recursive: true, force: true });
  }
}
