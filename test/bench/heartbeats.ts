import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, median, percentile, spawn, stop, waitFor200 } from './lib.ts';

const FLOOD = 400; // heartbeats, each advertising 500 models with long names (about 110 KB)
const WINDOW_MS = 2_000; // how long /health/live is probed, with and without the flood

const secret = () => randomBytes(32).toString('base64url');

// Sequential GET /health/live on loopback for `ms`; each latency in ms.
async function probe(url: string, ms: number): Promise<number[]> {
  const out: number[] = [];
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const t0 = performance.now();
    const res = await fetch(url);
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`/health/live answered ${res.status}`);
    out.push(performance.now() - t0);
  }
  return out;
}

// Resolves with the first line of the child's output that starts with `word`.
function line(child: ReturnType<typeof spawn>, word: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const onData = (d: Buffer) => {
      buffer += d.toString();
      const m = new RegExp(`^${word} (.*)$`, 'm').exec(buffer);
      if (m) {
        child.stdout!.off('data', onData);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`flooder exited (${code}) before "${word}"`)));
  });
}

/**
 * `/health/live` latency (median, p95, p99, max) on a server started from source,
 * probed sequentially for two seconds while idle and for two seconds from
 * the moment one miner connection sends 400 large heartbeats in a burst.
 */
export async function benchHeartbeats(): Promise<Record<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'onsite-bench-heartbeats-'));
  const children: Array<ReturnType<typeof spawn>> = [];
  try {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const enrollment = secret();
    const server = spawn(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', 'serve'], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        PATH: process.env.PATH,
        ONSITE_DATA_DIR: join(dir, 'data'),
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: 'error',
        SESSION_SECRET: secret(),
        DB_ENCRYPTION_KEY: secret(),
        MINER_ENROLLMENT_SECRET: enrollment,
        BROWSER_SERVICE_AUTH_TOKEN: secret(),
        RATE_LIMIT_PER_MINUTE: '100000',
      },
    });
    children.push(server);
    await waitFor200(`${url}/health/live`, 60_000);
    const flooder = spawn(process.execPath, ['--import', 'tsx', 'test/bench/heartbeat-flood.ts'], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { PATH: process.env.PATH, BENCH_SERVER_URL: url, BENCH_SECRET: enrollment, BENCH_COUNT: String(FLOOD) },
    });
    children.push(flooder);
    const ready = JSON.parse(await line(flooder, 'ready')) as { bytesEach: number };

    await probe(`${url}/health/live`, 500); // warm-up: JIT, connection pool
    const idle = await probe(`${url}/health/live`, WINDOW_MS);
    const done = line(flooder, 'done');
    flooder.stdin.write('go\n');
    const flooded = await probe(`${url}/health/live`, WINDOW_MS);
    const flood = JSON.parse(await done) as { ms: number; close: number | null };

    const stats = (xs: number[]) =>
      `${median(xs).toFixed(2)} / ${percentile(xs, 95).toFixed(2)} / ${percentile(xs, 99).toFixed(2)} / ${Math.max(...xs).toFixed(1)}, ${xs.length}`;
    return {
      'flood: heartbeats × size': `${FLOOD} × ${(ready.bytesEach / 1024).toFixed(0)} KiB`,
      'flood: close code seen by the flooder, ms until it': `${flood.close ?? 'none within 10 s'}, ${flood.ms}`,
      '/health/live idle: median / p95 / p99 / max (ms), requests in 2 s': stats(idle),
      '/health/live during the flood: median / p95 / p99 / max (ms), requests in 2 s': stats(flooded),
      'ratio flood / idle: median, p95': `${(median(flooded) / median(idle)).toFixed(2)}, ${(percentile(flooded, 95) / percentile(idle, 95)).toFixed(2)}`,
    };
  } finally {
    await Promise.all(children.reverse().map((c) => stop(c)));
    rmSync(dir, { recursive: true, force: true });
  }
}
