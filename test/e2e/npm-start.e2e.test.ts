import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectedReply } from '../fixtures/ollama/server.ts';
import { CHROMIUM } from '../helpers/chromium.ts';
import { PASSWORD } from '../helpers/client.ts';
import { tempDir } from '../helpers/env.ts';
import { descendants, freePort, running, startProcess, startTs, type Proc } from '../helpers/processes.ts';
import { collectReply } from '../helpers/sse.ts';
import { until } from '../helpers/stack.ts';

const MODEL = 'llama3.2:1b';

// Polls the API gently (its rate limit is a newcomer's default), until `check` holds.
async function poll(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

// The README's first command, as a newcomer runs it (the checkout's node_modules stand in for `npm ci`):
// `npm start` with only a data folder, a port and the test Ollama in place of a real one.
describe('npm start on a fresh data folder', () => {
  it('runs server, miner and browser sidecar, prints the URL and setup link, answers a chat, and stops as one tree', { timeout: 240_000 }, async () => {
    expect(JSON.parse(readFileSync('package.json', 'utf8')).scripts.start).toMatch(/server\/cli\/main\.ts dev$/);
    expect(readFileSync('README.md', 'utf8')).toContain('```sh\nnpm ci && npm start\n```');
    const data = tempDir('onsite-npm-start-');
    const procs: Proc[] = [];
    let tree: number[] = [];
    try {
      const ollama = startTs('test/fixtures/ollama/main.ts', [], { FAKE_OLLAMA_PORT: '0', FAKE_OLLAMA_TOKENS_PER_SECOND: '0' }, { single: true });
      procs.push(ollama);
      const ollamaUrl = (await ollama.waitFor(/listening on (http:\/\/\S+)/))[1]!;
      const port = await freePort();
      const npm = startProcess(
        'npm',
        ['start'],
        {
          HOME: process.env.HOME ?? data.dir,
          ONSITE_DATA_DIR: data.dir,
          PORT: String(port),
          HOST: '127.0.0.1', // loopback only, for a test
          OLLAMA_HOST: ollamaUrl,
          MINER_HEARTBEAT_INTERVAL: '1',
          MFA_REQUIRED: 'off', // the admin goes on with a password alone; MFA is tested in test/server/auth/
          npm_config_update_notifier: 'false', // npm asks nobody about its own updates
        },
        { group: true },
      );
      procs.push(npm);

      const url = (await npm.waitFor(/^Onsite is running: open (\S+)$/m, 120_000))[1]!;
      expect(url).toBe(`http://localhost:${port}`);
      const link = (await npm.waitFor(/^First start: claim the admin account at (\S+)$/m))[1]!;
      expect(link).toMatch(new RegExp(`^${url}/setup\\?token=[\\w-]{43}$`));
      expect(npm.output()).toContain(`The bundled miner runs its jobs on the Ollama at ${ollamaUrl}`);
      expect(npm.output()).not.toMatch(/no Chromium/);
      expect(readFileSync(`${data.dir}/dev-secrets.env`, 'utf8')).toMatch(/DEVELOPMENT SECRETS/);

      // The link opens the setup form with the token filled in; the claim is the newcomer's.
      const token = new URL(link).searchParams.get('token')!;
      expect(await (await fetch(link)).text()).toContain(`value="${token}"`);
      const claim = await fetch(`${url}/api/setup/claim`, {
        method: 'POST',
        headers: { origin: url, 'content-type': 'application/json' },
        body: JSON.stringify({ token, name: 'Admin', email: 'admin@example.test', password: PASSWORD }),
      });
      expect(claim.status).toBe(201);
      const cookie = claim.headers.get('set-cookie')!.split(';')[0]!;
      const csrf = ((await claim.json()) as { csrfToken: string }).csrfToken;
      const api = (method: string, path: string, body?: unknown) =>
        fetch(`${url}${path}`, {
          method,
          headers: { origin: url, cookie, 'x-csrf-token': csrf, ...(body ? { 'content-type': 'application/json' } : {}) },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });

      expect((await api('POST', '/api/models', { name: MODEL, kind: 'chat', contextLength: 4096, isDefault: true })).status).toBe(201);
      await poll(
        async () => ((await (await api('GET', '/api/miners')).json()) as { miners: Array<{ healthy: boolean }> }).miners.some((m) => m.healthy),
        'the bundled miner',
      );
      // The sidecar started with the development token: the server reaches it.
      await poll(
        async () => ((await (await fetch(`${url}/health/ready`)).json()) as { checks: { browser?: { ok: boolean } } }).checks.browser?.ok === true,
        'the browser sidecar',
      );

      const conv = (await (await api('POST', '/api/conversations', {})).json()) as { id: string };
      const res = await api('POST', `/api/conversations/${conv.id}/messages`, { content: 'hello from npm start' });
      expect(res.status).toBe(200);
      const reply = await collectReply(res);
      expect(reply.end?.event).toBe('done');
      expect(reply.tokens).toEqual(expectedReply(MODEL, 'hello from npm start'));

      tree = descendants(npm.child.pid!);
      const commands = tree.map((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '));
      for (const role of [/main\.ts dev\b/, /main\.ts miner\b/, /main\.ts browser\b/, new RegExp(CHROMIUM.replace('/usr/bin/', ''))]) {
        expect(
          commands.some((c) => role.test(c)),
          `${role} among ${commands.join('\n')}`,
        ).toBe(true);
      }
      // Ctrl-C: the terminal signals the whole group, and npm forwards it to its script once more.
      process.kill(-npm.child.pid!, 'SIGINT');
      await until(() => tree.every((pid) => !running(pid)), 30_000, 'every process of npm start to end');
      await npm.kill();
      expect(npm.output()).toMatch(/"msg":"miner stopped"/);
      expect(npm.output()).toMatch(/"msg":"browser sidecar stopped"/);
      expect(npm.output()).toMatch(/"msg":"stopped"/);
    } finally {
      for (const pid of tree) if (running(pid)) process.kill(pid, 'SIGKILL'); // only when the test failed
      await Promise.all(procs.map((p) => p.kill('SIGKILL')));
      data.cleanup();
    }
  });
});
