import { Writable } from 'node:stream';
import type { JobSilence } from '../../server/miners/miners-backend.service.ts';
import type { PageFetcher } from '../../server/browser-client/browser-client.service.ts';
import { assembleServer, type Assembled } from '../../server/cli/assemble.ts';
import { loadConfig, secretValues, type Config, type Env } from '../../server/config.ts';
import type { Clock } from '../../server/kernel/clock.ts';
import type { Resolver } from '../../server/kernel/egress.ts';
import { createLogger, type Log } from '../../server/kernel/log.ts';
import { secret, tempDir, validEnv } from './env.ts';
import { issueCode, TEST_KEYRING } from './license.ts';

/** Log lines captured from a logger, as written. */
export interface CapturedLog {
  log: Log;
  lines: string[];
  text(): string;
}

/** A logger writing into memory, with the product's redaction and scrubbing. */
export function captureLog(secrets: readonly string[], level = 'trace'): CapturedLog {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const log = createLogger({ level, secrets, destination });
  return { log, lines, text: () => lines.join('') };
}

/** An assembled server on a fresh data folder, its config and captured log. */
export interface TestServer extends Assembled {
  config: Config;
  env: Env;
  logs: CapturedLog;
  cleanup(): void;
}

/** A clock tests can move. */
export interface TestClock {
  now: Clock;
  advance(ms: number): void;
}

/** A controllable clock starting at a fixed date. */
export function testClock(start = Date.parse('2026-06-01T12:00:00Z')): TestClock {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

/** Assembles a server against a fresh temp data folder (real SQLite file). */
export async function createTestServer(
  extra: Env = {},
  options: {
    clock?: Clock | undefined;
    dataDir?: string | undefined;
    license?: number | false | undefined;
    pages?: PageFetcher | undefined;
    silence?: Partial<JobSilence> | undefined;
    /** Host-name resolver for the egress checks (a test never asks real DNS). */
    resolve?: Resolver | undefined;
  } = {},
): Promise<TestServer> {
  const tmp = options.dataDir ? { dir: options.dataDir, cleanup: () => undefined } : tempDir();
  const env = validEnv(tmp.dir, { LOG_LEVEL: 'trace', METRICS_TOKEN: secret(), ...extra });
  const config = loadConfig(env);
  const logs = captureLog(secretValues(config));
  const assembled = await assembleServer(config, logs.log, {
    clock: options.clock,
    keyring: TEST_KEYRING,
    pages: options.pages,
    silence: options.silence,
    resolve: options.resolve,
  });
  // Most tests need more than the evaluation seat; license ones opt out.
  if (options.license !== false) {
    const now = Math.floor((options.clock ?? Date.now)() / 1000);
    assembled.license.install(issueCode(assembled.license.installationId(), { seats: options.license ?? 50, nowSeconds: now }), { label: 'test' });
  }
  return {
    ...assembled,
    config,
    env,
    logs,
    cleanup() {
      assembled.close();
      tmp.cleanup();
    },
  };
}

/**
 * Reads an operator view (`/health/ready` with its checks, `/metrics`) of an
 * in-process server the way a monitoring host does: with the metrics token.
 */
export function observe(s: TestServer, path: '/health/ready' | '/metrics'): Promise<Response> {
  return Promise.resolve(s.app.request(path, { headers: { authorization: `Bearer ${s.config.METRICS_TOKEN ?? ''}` } }));
}
