import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, median, requestsPerSecond, rssMiB, spawn, stop, waitFor200 } from './lib.ts';

const BINARY = resolve('dist/onsite');

function binaryEnv(dataDir: string, port: number): NodeJS.ProcessEnv {
  const s = () => randomBytes(32).toString('base64url');
  return {
    PATH: process.env.PATH,
    ONSITE_DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    SESSION_SECRET: s(),
    DB_ENCRYPTION_KEY: s(),
    MINER_ENROLLMENT_SECRET: s(),
    BROWSER_SERVICE_AUTH_TOKEN: s(),
    ONSITE_BOOTSTRAP_TOKEN: s(),
  };
}

async function startBinary(dataDir: string) {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(BINARY, ['serve'], { env: binaryEnv(dataDir, port), stdio: ['ignore', 'ignore', 'inherit'], cwd: dataDir });
  const readyMs = await waitFor200(`http://127.0.0.1:${port}/health/ready`, 20_000, started);
  return { child, port, readyMs };
}

async function startBare() {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/bench/bare-hono.ts', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  await waitFor200(`http://127.0.0.1:${port}/health/live`);
  return { child, port };
}

/** Binary cold start, idle RSS, and /health/live throughput against a bare Hono app. */
export async function benchFoundation(rounds = 5, loadSeconds = 5): Promise<Record<string, string>> {
  const firstStart: number[] = [];
  const restart: number[] = [];
  const idleRss: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'onsite-bench-'));
    try {
      const first = await startBinary(dir); // empty data folder: creates and migrates the database
      firstStart.push(first.readyMs);
      await stop(first.child);
      const again = await startBinary(dir); // existing database
      restart.push(again.readyMs);
      await new Promise((r) => setTimeout(r, 1500));
      idleRss.push(rssMiB(again.child.pid!));
      await stop(again.child);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const onsiteRps: number[] = [];
  const bareRps: number[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'onsite-bench-'));
  const onsite = await startBinary(dir);
  const bare = await startBare();
  try {
    for (let i = 0; i < 3; i++) {
      onsiteRps.push(await requestsPerSecond(`http://127.0.0.1:${onsite.port}/health/live`, loadSeconds));
      bareRps.push(await requestsPerSecond(`http://127.0.0.1:${bare.port}/health/live`, loadSeconds));
    }
  } finally {
    await stop(onsite.child);
    await stop(bare.child);
    rmSync(dir, { recursive: true, force: true });
  }
  const ratio = median(onsiteRps) / median(bareRps);
  return {
    'binary start to /health/ready, empty data folder (median ms)': median(firstStart).toFixed(0),
    'binary start to /health/ready, existing database (median ms)': median(restart).toFixed(0),
    'idle RSS after start (median MiB)': median(idleRss).toFixed(1),
    'GET /health/live, onsite binary (median req/s)': median(onsiteRps).toFixed(0),
    'GET /health/live, bare Hono app (median req/s)': median(bareRps).toFixed(0),
    'onsite / bare Hono throughput ratio': ratio.toFixed(2),
  };
}
