import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { startMiner, type RunningMiner } from '../../miner/start.ts';
import type { JobSilence } from '../../server/miners/miners-backend.service.ts';
import type { PageFetcher } from '../../server/browser-client/browser-client.service.ts';
import type { Env } from '../../server/config.ts';
import type { Clock } from '../../server/kernel/clock.ts';
import { createLogger } from '../../server/kernel/log.ts';
import { startFakeOllama, type FakeOllama, type FakeOllamaOptions } from '../fixtures/ollama/server.ts';
import type { TestClient } from './client.ts';
import { tempDir } from './env.ts';
import { claimAdmin } from './identity.ts';
import { createTestServer, type TestServer } from './server.ts';

/** The chat model every stack's catalog holds (and the fake Ollama serves). */
export const CHAT_MODEL = 'llama3.2:1b';
/** The embedding model every stack's catalog holds. */
export const EMBED_MODEL = 'nomic-embed-text';

/** A server on a loopback port, with fake Ollamas and in-process miners. */
export interface Stack {
  s: TestServer;
  /** http://127.0.0.1:PORT of the real listener (miners, openai client). */
  url: string;
  admin: TestClient;
  ollamas: FakeOllama[];
  miners: RunningMiner[];
  /** Starts one more fake Ollama and a miner in front of it (the first by the enrolment secret, later ones by registration token and pairing key). */
  addMiner(env?: Env, ollama?: FakeOllamaOptions): Promise<{ miner: RunningMiner; ollama: FakeOllama }>;
  /** Waits until `n` miners are connected, active and healthy. */
  waitForMiners(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Polls `check` every 25 ms until it is true or the time is up. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Starts the assembled server on 127.0.0.1 (miner WebSocket attached),
 * claims the admin, seeds the catalog, and starts `miners` miners each
 * with its own fake Ollama.
 */
export async function startStack(
  o: { miners?: number; env?: Env; ollama?: FakeOllamaOptions; minerEnv?: Env; pages?: PageFetcher; silence?: Partial<JobSilence>; clock?: Clock } = {},
): Promise<Stack> {
  const s = await createTestServer(
    { MINER_HEARTBEAT_INTERVAL: '1', RATE_LIMIT_PER_MINUTE: '100000', ...o.env },
    { pages: o.pages, silence: o.silence, clock: o.clock },
  );
  const server = createAdaptorServer({ fetch: s.app.fetch }) as Server;
  const closeSockets = s.attachSockets(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const admin = await claimAdmin(s);
  const actor = { label: 'test' };
  s.catalog.save(actor, { name: CHAT_MODEL, kind: 'chat', contextLength: 4096, isDefault: true });
  s.catalog.save(actor, { name: EMBED_MODEL, kind: 'embedding', contextLength: 2048, dimensions: 768, isDefault: true });
  const ollamas: FakeOllama[] = [];
  const miners: RunningMiner[] = [];
  const dirs: Array<() => void> = [];
  const silent = createLogger({ level: 'silent', secrets: [] });

  // The first miner is the bundled one (the enrolment secret is bound to its worker id); the
  // others enrol as remote miners do: a registration token, then the admin confirms their pairing key.
  async function addMiner(env: Env = {}, ollamaOptions: FakeOllamaOptions = o.ollama ?? {}) {
    const ollama = await startFakeOllama({ tokensPerSecond: 0, ...ollamaOptions });
    const state = tempDir('onsite-miner-');
    dirs.push(state.cleanup);
    const bundled = miners.length === 0;
    const credential = bundled
      ? { MINER_ENROLLMENT_SECRET: s.config.MINER_ENROLLMENT_SECRET }
      : {
          MINER_REGISTRATION_TOKEN: (await admin.post('/api/miners/registration-tokens', { label: `worker-${miners.length + 1}`, ttlHours: 1 })).body
            .token as string,
        };
    const printed: string[] = [];
    const miner = await startMiner(
      {
        SERVER_URL: url,
        OLLAMA_HOST: ollama.url,
        ...credential,
        MINER_STATE_DIR: state.dir,
        MINER_HEARTBEAT_INTERVAL: '1',
        WORKER_ID: `worker-${miners.length + 1}`,
        PORT: '0',
        HOST: '127.0.0.1',
        ...o.minerEnv,
        ...env,
      },
      { log: silent, version: 'test', print: (line) => printed.push(line), backoff: { reconnect: { baseMs: 50, maxMs: 500 } } },
    );
    ollamas.push(ollama);
    miners.push(miner);
    if (!bundled) {
      await until(() => printed.length > 0 && miner.minerId() !== undefined, 10_000, 'the remote miner to print its pairing key');
      const key = /PAIRING KEY: (\S+)/.exec(printed.join('\n'))![1]!;
      const confirmed = await admin.post(`/api/miners/${miner.minerId()}/confirm`, { pairingKey: key });
      if (confirmed.status !== 200) throw new Error(`confirming worker-${miners.length}: ${JSON.stringify(confirmed.body)}`);
    }
    return { miner, ollama };
  }

  const healthy = () => s.registry.all().filter(s.registry.available).length;
  const stack: Stack = {
    s,
    url,
    admin,
    ollamas,
    miners,
    addMiner,
    waitForMiners: (n, timeoutMs = 10_000) => until(() => healthy() >= n, timeoutMs, `${n} healthy miners`),
    async close() {
      await Promise.all(miners.map((m) => m.stop()));
      closeSockets();
      await new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      await Promise.all(ollamas.map((x) => x.close()));
      s.cleanup();
      for (const d of dirs) d();
    },
  };
  for (let i = 0; i < (o.miners ?? 1); i++) await addMiner();
  await stack.waitForMiners(o.miners ?? 1);
  return stack;
}
