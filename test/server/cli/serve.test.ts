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
