import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { createRig, tempDir, until, type Rig } from './harness.ts';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

function runCli(env: Record<string, string | undefined>) {
  const child = spawn(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'server/cli/main.ts', 'miner'], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out, exited };
}

describe('onsite miner (CLI)', () => {
  it('prints the pairing key on its own line, connects, and exits 0 on SIGTERM', { timeout: 30_000 }, async () => {
    rig = await createRig({ server: { welcomeStatus: 'pending' } });
    const { child, out, exited } = runCli({
      ...rig.env,
      MINER_ENROLLMENT_SECRET: undefined,
      MINER_REGISTRATION_TOKEN: 'reg_token_cli_0123456789',
      LOG_LEVEL: 'info',
    });
    try {
      await until(() => /^PAIRING KEY: [0-9A-Z-]{24} — ask an admin/m.test(out.stdout), 20_000, `pairing key (${out.stderr})`);
      await rig.server.waitForFrame('hello', undefined, 10_000);
      expect(out.stdout).not.toContain('reg_token_cli_0123456789');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(out.stdout).toMatch(/"msg":"miner stopped"/);
  });

  it('exits 1 with every bad key listed when the configuration is wrong', { timeout: 30_000 }, async () => {
    const state = tempDir();
    try {
      const { out, exited } = runCli({ MINER_STATE_DIR: state.dir, PORT: 'x', MINER_CAPACITY: '0' });
      expect(await exited).toBe(1);
      expect(out.stderr).toMatch(/PORT:/);
      expect(out.stderr).toMatch(/MINER_CAPACITY:/);
      expect(out.stderr).toMatch(/MINER_ENROLLMENT_SECRET: no saved identity/);
    } finally {
      state.cleanup();
    }
  });
});
