import { afterAll, describe, expect, it } from 'vitest';
import { startFakeOllama } from '../../fixtures/ollama/server.ts';
import { PASSWORD } from '../../helpers/client.ts';
import { tempDir } from '../../helpers/env.ts';
import { descendants, freePort, running, startProcess, startTs, type Proc } from '../../helpers/processes.ts';
import { until } from '../../helpers/stack.ts';

const data = tempDir('onsite-dev-');
afterAll(data.cleanup);

describe('onsite dev (what npm start runs)', () => {
  it('without Chromium and without Ollama it says so plainly and keeps trying; its children end when it is killed', { timeout: 120_000 }, async () => {
    const port = await freePort();
    const ollamaPort = await freePort(); // no Ollama there, until the test starts one
    const env = {
      ONSITE_DATA_DIR: data.dir,
      PORT: String(port),
      HOST: '127.0.0.1',
      OLLAMA_HOST: `127.0.0.1:${ollamaPort}`,
      CHROME_PATH: '/nonexistent/chromium',
      MINER_HEARTBEAT_INTERVAL: '1',
    };
    const procs: Proc[] = [];
    let children: number[] = [];
    try {
      const dev = startTs('server/cli/main.ts', ['dev'], env, { single: true });
      procs.push(dev);
      await dev.waitFor(/^Onsite is running: open http:\/\/localhost:\d+$/m, 60_000);
      expect(dev.output()).toMatch(
        /^Web pages in chat are off: no Chromium at \/nonexistent\/chromium\. Install it \(Debian\/Ubuntu: sudo apt-get install chromium; .*\) or set CHROME_PATH/m,
      );
      const link = (await dev.waitFor(/^First start: claim the admin account at (\S+)$/m))[1]!;
      await dev.waitFor(
        new RegExp(
          `"msg":"no Ollama answers at http://127\\.0\\.0\\.1:${ollamaPort}: start Ollama \\(\`ollama serve\`\\) or set OLLAMA_HOST; jobs are refused until it answers, retrying every 1 s"`,
        ),
        60_000,
      );
      expect(dev.output()).not.toMatch(/browser sidecar ready/);

      // It kept trying: an Ollama that comes up later is found.
      const late = await startFakeOllama({ port: ollamaPort });
      try {
        await dev.waitFor(/"module":"miner".*"msg":"Ollama reachable"/, 30_000);
      } finally {
        await late.close();
      }

      const url = `http://localhost:${port}`;
      const claim = await fetch(`${url}/api/setup/claim`, {
        method: 'POST',
        headers: { origin: url, 'content-type': 'application/json' },
        body: JSON.stringify({ token: new URL(link).searchParams.get('token'), name: 'Admin', email: 'admin@example.test', password: PASSWORD }),
      });
      expect(claim.status).toBe(201);

      // Killed outright, it can tell its children nothing: they notice their channel to it closing.
      children = descendants(dev.child.pid!).filter((pid) => running(pid));
      expect(children.length).toBeGreaterThan(0);
      expect(await dev.kill('SIGKILL')).toBeNull();
      await until(() => children.every((pid) => !running(pid)), 30_000, 'the miner to end with its parent');

      // Once the admin is claimed, a new start prints no setup link.
      const again = startTs('server/cli/main.ts', ['dev'], env, { single: true });
      procs.push(again);
      await again.waitFor(/^Onsite is running: open /m, 60_000);
      // Stopped once its miner is up, as a person would press Ctrl-C: the whole tree stops gracefully.
      await again.waitFor(/"module":"miners".*"msg":"miner connected"/, 60_000);
      children = descendants(again.child.pid!);
      const code = await again.kill('SIGTERM');
      expect(code, again.output()).toBe(0);
      expect(again.output()).not.toMatch(/First start/);
      expect(children.filter((pid) => running(pid))).toEqual([]);
    } finally {
      for (const pid of children) if (running(pid)) process.kill(pid, 'SIGKILL'); // only when the test failed
      await Promise.all(procs.map((p) => p.kill('SIGKILL')));
    }
  });

  it('stops with its children when the process that started it is killed outright (npm under kill -9)', { timeout: 120_000 }, async () => {
    const port = await freePort();
    const env = {
      ONSITE_DATA_DIR: data.dir,
      PORT: String(port),
      HOST: '127.0.0.1',
      OLLAMA_HOST: `127.0.0.1:${await freePort()}`,
      CHROME_PATH: '/nonexistent/chromium',
    };
    // A shell stands in for npm: it starts `onsite dev` and waits for it.
    const shell = startProcess('sh', ['-c', `"${process.execPath}" --import tsx server/cli/main.ts dev & wait`], env);
    let tree: number[] = [];
    try {
      await shell.waitFor(/^Onsite is running: open /m, 60_000);
      tree = descendants(shell.child.pid!);
      expect(await shell.kill('SIGKILL')).toBeNull();
      await until(() => tree.every((pid) => !running(pid)), 30_000, 'onsite dev and its children to end once their starter is gone');
      expect(shell.output()).toMatch(/"msg":"stopped"/);
    } finally {
      for (const pid of tree) if (running(pid)) process.kill(pid, 'SIGKILL'); // only when the test failed
    }
  });
});
