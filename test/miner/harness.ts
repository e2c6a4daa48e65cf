// Starts a miner against a fake server and a fake Ollama, all on loopback,
// with a captured log and short retry delays, and tears everything down.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../server/kernel/log.ts';
import type { Env } from '../../miner/config.ts';
import { startMiner, type RunningMiner } from '../../miner/start.ts';
import { startFakeOllama, type FakeOllama, type FakeOllamaOptions } from '../fixtures/ollama/server.ts';
import { startFakeServer, type FakeServer, type FakeServerOptions } from './fake-server.ts';

/** A fresh random enrolment secret. */
export const secret = (): string => randomBytes(32).toString('base64url');

/** A temporary folder and its removal. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'onsite-miner-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Polls `pred` every 20 ms until it holds; throws after `timeoutMs`. */
export async function until(pred: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const started = Date.now();
  while (!(await pred())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Everything a miner test runs against. */
export interface Rig {
  server: FakeServer;
  ollama: FakeOllama;
  stateDir: string;
  env: Env;
  logs: string[];
  printed: string[];
  miner?: RunningMiner;
  /** Starts (or starts again) a miner on this rig. */
  start(extra?: Env): Promise<RunningMiner>;
  /** Log lines parsed as JSON. */
  logEntries(): Array<Record<string, unknown>>;
  close(): Promise<void>;
}

/** Builds a rig: fake server, fake Ollama, state folder; the miner starts with rig.start(). */
export async function createRig(opts: { server?: FakeServerOptions; ollama?: FakeOllamaOptions } = {}): Promise<Rig> {
  const server = await startFakeServer(opts.server);
  const ollama = await startFakeOllama({ tokensPerSecond: 0, ...opts.ollama });
  const state = tempDir();
  const logs: string[] = [];
  const printed: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const env: Env = {
    SERVER_URL: server.url,
    OLLAMA_HOST: ollama.url,
    MINER_STATE_DIR: state.dir,
    MINER_ENROLLMENT_SECRET: secret(),
    MINER_HEARTBEAT_INTERVAL: '1',
    WORKER_ID: 'test-miner',
    PORT: '0',
    HOST: '127.0.0.1',
  };
  const running: RunningMiner[] = [];
  const rig: Rig = {
    server,
    ollama,
    stateDir: state.dir,
    env,
    logs,
    printed,
    async start(extra = {}) {
      const miner = await startMiner(
        { ...env, ...extra },
        {
          log: createLogger({ level: 'debug', destination, secrets: [env.MINER_ENROLLMENT_SECRET ?? ''] }),
          version: 'test',
          print: (line) => printed.push(line),
          backoff: { reconnect: { baseMs: 50, maxMs: 400 }, enrollUnreachable: { baseMs: 50, maxMs: 400 }, enrollRefused: { baseMs: 1000, maxMs: 2000 } },
        },
      );
      running.push(miner);
      rig.miner = miner;
      return miner;
    },
    logEntries: () => logs.map((l) => JSON.parse(l) as Record<string, unknown>),
    async close() {
      for (const m of running) await m.stop();
      await server.close();
      await ollama.close();
      state.cleanup();
    },
  };
  return rig;
}
