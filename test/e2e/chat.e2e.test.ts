import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedReply } from '../fixtures/ollama/server.ts';
import { PASSWORD } from '../helpers/client.ts';
import { secret, tempDir } from '../helpers/env.ts';
import { freePort, startTs, type Proc } from '../helpers/processes.ts';
import { readSse } from '../helpers/sse.ts';

const MODEL = 'llama3.2:1b';

// Real processes on loopback: one server, two fake Ollamas, two miners.
describe('end to end: server + two miners, each with its own test Ollama', () => {
  const procs: Proc[] = [];
  const dirs = [tempDir('onsite-e2e-'), tempDir('onsite-e2e-m1-'), tempDir('onsite-e2e-m2-')];
  const enrollment = secret();
  let url = '';
  let cookie = '';
  let csrf = '';
  const miners: Proc[] = [];
  const ollamas: string[] = [];

  const api = async (method: string, path: string, body?: unknown) =>
    fetch(`${url}${path}`, {
      method,
      headers: { origin: url, cookie, 'x-csrf-token': csrf, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  // A remote miner process: a registration token from the admin, then the pairing key it prints, confirmed.
  const remoteMiner = async (ollamaUrl: string, stateDir: string, workerId: string): Promise<Proc> => {
    const made = (await (await api('POST', '/api/miners/registration-tokens', { label: workerId, ttlHours: 1 })).json()) as { token: string };
    const m = startTs(
      'server/cli/main.ts',
      ['miner'],
      {
        SERVER_URL: url,
        OLLAMA_HOST: ollamaUrl,
        MINER_REGISTRATION_TOKEN: made.token,
        MINER_STATE_DIR: stateDir,
        WORKER_ID: workerId,
        PORT: '0',
        HOST: '127.0.0.1',
        MINER_HEARTBEAT_INTERVAL: '1',
        LOG_LEVEL: 'info',
      },
      { single: true },
    ); // one process: a SIGKILL reaches the miner itself, not tsx's launcher
    const key = (await m.waitFor(/PAIRING KEY: (\S+)/))[1]!;
    const list = (await (await api('GET', '/api/miners')).json()) as { miners: Array<{ id: string; workerId: string }> };
    const confirmed = await api('POST', `/api/miners/${list.miners.find((x) => x.workerId === workerId)!.id}/confirm`, { pairingKey: key });
    expect(confirmed.status).toBe(200);
    return m;
  };

  beforeAll(async () => {
    const bootstrap = secret();
    const port = await freePort(); // APP_BASE_URL names the port: the CSRF check accepts that origin only
    const server = startTs('server/cli/main.ts', ['serve'], {
      ONSITE_DATA_DIR: dirs[0]!.dir,
      PORT: String(port),
      APP_BASE_URL: `http://127.0.0.1:${port}`,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      MINER_HEARTBEAT_INTERVAL: '1',
      RATE_LIMIT_PER_MINUTE: '100000',
      SESSION_SECRET: secret(),
      MFA_REQUIRED: 'off', // the admin goes on with a password alone; MFA is tested in test/server/auth/
      DB_ENCRYPTION_KEY: secret(),
      MINER_ENROLLMENT_SECRET: enrollment,
      BROWSER_SERVICE_AUTH_TOKEN: secret(),
      ONSITE_BOOTSTRAP_TOKEN: bootstrap,
    });
    procs.push(server);
    url = `http://127.0.0.1:${(await server.waitFor(/"port":(\d+)/))[1]}`;
    for (let i = 0; i < 2; i++) {
      const o = startTs('test/fixtures/ollama/main.ts', [], {
        FAKE_OLLAMA_PORT: '0',
        FAKE_OLLAMA_TOKENS_PER_SECOND: '200',
        FAKE_OLLAMA_FIRST_TOKEN_DELAY_MS: '0',
      });
      procs.push(o);
      ollamas.push((await o.waitFor(/listening on (http:\/\/\S+)/))[1]!);
    }
    const claim = await fetch(`${url}/api/setup/claim`, {
      method: 'POST',
      headers: { origin: url, 'content-type': 'application/json' },
      body: JSON.stringify({ token: bootstrap, name: 'Admin', email: 'admin@example.test', password: PASSWORD }),
    });
    expect(claim.status).toBe(201);
    cookie = claim.headers.get('set-cookie')!.split(';')[0]!;
    csrf = ((await claim.json()) as { csrfToken: string }).csrfToken;
    expect((await api('POST', '/api/models', { name: MODEL, kind: 'chat', contextLength: 4096, isDefault: true })).status).toBe(201);
    for (let i = 0; i < 2; i++) {
      // The first is the bundled miner (the secret is bound to its worker id), the second a remote one.
      const m =
        i === 0
          ? startTs('server/cli/main.ts', ['miner'], {
              SERVER_URL: url,
              OLLAMA_HOST: ollamas[i]!,
              MINER_ENROLLMENT_SECRET: enrollment,
              MINER_STATE_DIR: dirs[i + 1]!.dir,
              WORKER_ID: `e2e-${i + 1}`,
              PORT: '0',
              HOST: '127.0.0.1',
              MINER_HEARTBEAT_INTERVAL: '1',
              LOG_LEVEL: 'info',
            })
          : await remoteMiner(ollamas[i]!, dirs[i + 1]!.dir, `e2e-${i + 1}`);
      procs.push(m);
      miners.push(m);
    }
    for (let t = 0; t < 200; t++) {
      const list = (await (await api('GET', '/api/miners')).json()) as { miners: Array<{ healthy: boolean }> };
      if (list.miners.filter((m) => m.healthy).length === 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 90_000);

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill('SIGTERM')));
    for (const d of dirs) d.cleanup();
  });

  it('streams a chat token by token to an SSE client and records it in the ledger', async () => {
    const conv = (await (await api('POST', '/api/conversations', {})).json()) as { id: string };
    const res = await api('POST', `/api/conversations/${conv.id}/messages`, { content: 'hello from e2e' });
    expect(res.status).toBe(200);
    const arrivals: number[] = [];
    const tokens: string[] = [];
    let end = '';
    for await (const e of readSse(res)) {
      if (e.event === 'token') {
        tokens.push((JSON.parse(e.data) as { delta: string }).delta);
        arrivals.push(performance.now());
      } else if (e.event !== 'start') end = e.event;
    }
    expect(end).toBe('done');
    expect(tokens).toEqual(expectedReply(MODEL, 'hello from e2e'));
    // Token by token: at 200 tokens/s they arrive spread out, not in one burst.
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThan(50);
    const usage = (await (await api('GET', '/api/usage?days=1')).json()) as { totals: Array<{ model: string; requests: number; completionTokens: number }> };
    expect(usage.totals).toEqual([expect.objectContaining({ model: MODEL, requests: 1, completionTokens: tokens.length })]);
  });

  it('a miner process killed before the first token: the answer comes from another miner', async () => {
    // A third miner whose Ollama takes a minute to its first token; being the longest idle, it gets the next job.
    const slow = startTs('test/fixtures/ollama/main.ts', [], { FAKE_OLLAMA_PORT: '0', FAKE_OLLAMA_FIRST_TOKEN_DELAY_MS: '60000' });
    procs.push(slow);
    const slowUrl = (await slow.waitFor(/listening on (http:\/\/\S+)/))[1]!;
    const state = tempDir('onsite-e2e-m3-');
    dirs.push(state);
    const victim = await remoteMiner(slowUrl, state.dir, 'e2e-slow');
    procs.push(victim);
    const minersNow = async () =>
      ((await (await api('GET', '/api/miners')).json()) as { miners: Array<{ workerId: string; healthy: boolean; inflight: number }> }).miners;
    for (let t = 0; t < 200 && !(await minersNow()).some((m) => m.workerId === 'e2e-slow' && m.healthy); t++) await new Promise((r) => setTimeout(r, 100));

    const conv = (await (await api('POST', '/api/conversations', {})).json()) as { id: string };
    const pending = api('POST', `/api/conversations/${conv.id}/messages`, { content: 'after the kill' });
    for (let t = 0; t < 200 && !(await minersNow()).some((m) => m.workerId === 'e2e-slow' && m.inflight === 1); t++)
      await new Promise((r) => setTimeout(r, 50));
    expect(await victim.kill('SIGKILL')).toBeNull(); // killed by the signal, no goodbye frame
    const res = await pending;
    const tokens: string[] = [];
    let end = '';
    for await (const e of readSse(res)) {
      if (e.event === 'token') tokens.push((JSON.parse(e.data) as { delta: string }).delta);
      else if (e.event !== 'start') end = e.event;
    }
    expect(end).toBe('done');
    expect(tokens).toEqual(expectedReply(MODEL, 'after the kill'));
    const stored = (await (await api('GET', `/api/conversations/${conv.id}`)).json()) as { messages: Array<{ status: string }> };
    expect(stored.messages.map((m) => m.status)).toEqual(['complete', 'complete']);
  });
});
