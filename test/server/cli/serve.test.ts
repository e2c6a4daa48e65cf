import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEV_SECRETS_FILE } from '../../../server/cli/dev-secrets.ts';
import { startServer } from '../../../server/cli/serve.ts';
import { captureLog } from '../../helpers/server.ts';
import { tempDir, validEnv } from '../../helpers/env.ts';

const tmp = tempDir();
afterAll(tmp.cleanup);

describe('serve over real HTTP on loopback', () => {
  it('serves health and metrics to a loopback peer, then stops cleanly', async () => {
    const logs = captureLog([]);
    const server = await startServer(validEnv(join(tmp.dir, 'a'), { PORT: '0', HOST: '127.0.0.1' }), { log: logs.log });
    const base = `http://127.0.0.1:${server.port}`;
    expect(await (await fetch(`${base}/health/live`)).json()).toEqual({ status: 'ok' });
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('onsite_http_requests_total');
    expect(JSON.parse(readFileSync(join(tmp.dir, 'a', 'onsite.pid'), 'utf8')).pid).toBe(process.pid);
    await server.stop();
    await expect(fetch(`${base}/health/live`)).rejects.toThrow();
  });

  it('refuses to start without secrets, naming each, unless in dev mode', async () => {
    const env = { ONSITE_DATA_DIR: join(tmp.dir, 'b'), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' };
    await expect(startServer(env)).rejects.toThrow(/SESSION_SECRET: missing[\s\S]*BROWSER_SERVICE_AUTH_TOKEN: missing/);

    const logs = captureLog([]);
    const dev = await startServer(env, { dev: true, log: logs.log });
    const file = join(tmp.dir, 'b', DEV_SECRETS_FILE);
    const content = readFileSync(file, 'utf8');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(content).toMatch(/DEVELOPMENT SECRETS[^\n]*local use only/);
    expect(content).toMatch(/^SESSION_SECRET=[\w-]{43}$/m);
    expect(logs.text()).toMatch(/DEVELOPMENT MODE/);
    // The log names the generated keys, never their values.
    for (const m of content.matchAll(/^[A-Z_]+=(.+)$/gm)) expect(logs.text()).not.toContain(m[1]);
    expect(dev.config.dev).toBe(true);
    await dev.stop();

    // A second dev start reuses the same secrets instead of replacing them.
    const again = await startServer(env, { dev: true, log: captureLog([]).log });
    expect(readFileSync(file, 'utf8')).toBe(content);
    expect(again.config.SESSION_SECRET).toBe(dev.config.SESSION_SECRET);
    await again.stop();
  });
});

// `npm start` runs `onsite dev` (test/e2e/npm-start.e2e.test.ts); `serve --dev` is the server alone.
describe('serve --dev from the sources', () => {
  it('answers /health/live on a fresh data folder', { timeout: 60_000 }, async () => {
    const { spawn } = await import('node:child_process');
    const { createServer } = await import('node:net');
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const dataDir = join(tmp.dir, 'npm-start');
    const child = spawn(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'server/cli/main.ts', 'serve', '--dev'], {
      env: { PATH: process.env.PATH, ONSITE_DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    try {
      const started = Date.now();
      let status = 0;
      while (Date.now() - started < 30_000 && status !== 200) {
        status = await fetch(`http://127.0.0.1:${port}/health/live`).then(
          (r) => r.status,
          () => 0,
        );
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(status, output).toBe(200);
      expect(readFileSync(join(dataDir, DEV_SECRETS_FILE), 'utf8')).toMatch(/DEVELOPMENT SECRETS/);
      expect(statSync(join(dataDir, 'onsite.db')).size).toBeGreaterThan(0);
      expect(output).toMatch(/DEVELOPMENT MODE/);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});
