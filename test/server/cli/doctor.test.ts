import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDoctor } from '../../../server/cli/doctor.ts';
import { startServer } from '../../../server/cli/serve.ts';
import { secret, tempDir, validEnv } from '../../helpers/env.ts';
import { captureLog } from '../../helpers/server.ts';

const tmp = tempDir();
afterAll(tmp.cleanup);

describe('onsite doctor', () => {
  it('prints the configuration and checks without any secret value', async () => {
    const env = validEnv(join(tmp.dir, 'd'), { PORT: '0', HOST: '127.0.0.1', METRICS_TOKEN: secret(), ONSITE_BOOTSTRAP_TOKEN: secret() });
    const server = await startServer(env, { log: captureLog([]).log });
    await server.stop();
    const lines: string[] = [];
    expect(runDoctor(env, (l) => lines.push(l))).toBe(true);
    const text = lines.join('\n');
    expect(text).toMatch(/SESSION_SECRET=\[set\]/);
    expect(text).toMatch(/✓ database integrity: ok/);
    expect(text).toMatch(/✓ schema: current/);
    expect(text).toMatch(/✓ sqlite-vec: v0\.1\./);
    const secrets = Object.entries(env).filter(([k]) => /SECRET|TOKEN|KEY/.test(k));
    expect(secrets.map(([k]) => k)).toEqual(expect.arrayContaining(['SESSION_SECRET', 'DB_ENCRYPTION_KEY', 'METRICS_TOKEN', 'ONSITE_BOOTSTRAP_TOKEN']));
    for (const [k, v] of secrets) expect(text, k).not.toContain(v);
  });

  it('fails and names the bad keys, without values', () => {
    const env = validEnv(join(tmp.dir, 'e'), { SESSION_SECRET: 'changeme' });
    const lines: string[] = [];
    expect(runDoctor(env, (l) => lines.push(l))).toBe(false);
    expect(lines.join('\n')).toMatch(/SESSION_SECRET: too short/);
    expect(lines.join('\n')).not.toContain('changeme');
  });
});
