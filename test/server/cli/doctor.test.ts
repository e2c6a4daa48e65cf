import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { doctorCommand } from '../../../server/cli/doctor.ts';
import { startServer } from '../../../server/cli/serve.ts';
import { captureIo } from '../../helpers/cli.ts';
import { secret, tempDir, validEnv } from '../../helpers/env.ts';
import { captureLog } from '../../helpers/server.ts';

const tmp = tempDir();
afterAll(tmp.cleanup);

describe('onsite doctor', () => {
  it('prints the configuration and checks without any secret value', async () => {
    const env = validEnv(join(tmp.dir, 'd'), { PORT: '0', HOST: '127.0.0.1', METRICS_TOKEN: secret(), ONSITE_BOOTSTRAP_TOKEN: secret() });
    const server = await startServer(env, { log: captureLog([]).log });
    await server.stop();
    const io = captureIo();
    expect(await doctorCommand.run([], env, io)).toBe(0);
    const text = io.text();
    expect(text).toMatch(/SESSION_SECRET=\[set\]/);
    expect(text).toMatch(/✓ database integrity: ok/);
    expect(text).toMatch(/✓ schema: current/);
    expect(text).toMatch(/✓ sqlite-vec: v0\.1\./);
    const secrets = Object.entries(env).filter(([k]) => /SECRET|TOKEN|KEY/.test(k));
    expect(secrets.map(([k]) => k)).toEqual(expect.arrayContaining(['SESSION_SECRET', 'DB_ENCRYPTION_KEY', 'METRICS_TOKEN', 'ONSITE_BOOTSTRAP_TOKEN']));
    for (const [k, v] of secrets) expect(text, k).not.toContain(v);
  });

  it('fails and names the bad keys, without values', async () => {
    const env = validEnv(join(tmp.dir, 'e'), { SESSION_SECRET: 'changeme' });
    const io = captureIo();
    expect(await doctorCommand.run([], env, io)).toBe(1);
    expect(io.text()).toMatch(/SESSION_SECRET: too short/);
    expect(io.text()).not.toContain('changeme');
  });
});
