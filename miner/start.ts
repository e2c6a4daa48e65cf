import { isAppError } from '../server/kernel/errors.ts';
import { createLogger, type Log } from '../server/kernel/log.ts';
import type { BackoffPolicy } from './backoff.ts';
import { loadMinerConfig, minerSecretValues, type Env, type MinerConfig } from './config.ts';
import { enroll } from './enroll.ts';
import { startHealthServer } from './health.ts';
import { createModelCatalog } from './models.ts';
import { createOllamaProbe } from './probe.ts';
import { startSession, type Session } from './session.ts';
import { loadIdentity, saveIdentity, type MinerIdentity } from './state.ts';
import type { MinerStatus } from './status.ts';

/** Options of {@link startMiner}; all optional. */
export interface StartMinerOptions {
  /** Logger to use instead of one built from LOG_LEVEL. */
  log?: Log;
  /** The product version sent in enrolment and hello (the CLI passes VERSION). */
  version?: string;
  /** Writes an operator line (the pairing key); standard output by default. */
  print?: (line: string) => void;
  /** Retry delays; tests shorten them. */
  backoff?: { reconnect?: BackoffPolicy; enrollUnreachable?: BackoffPolicy; enrollRefused?: BackoffPolicy };
}

/** A running miner, for the CLI and for tests. */
export interface RunningMiner {
  config: MinerConfig;
  /** Bound port of the health endpoint (useful with PORT=0). */
  port: number;
  /** The enrolled miner id; undefined while still enrolling. */
  minerId(): string | undefined;
  status(): MinerStatus;
  /** Whether the WebSocket to the server is open. */
  connected(): boolean;
  /** Resolves once stop() has finished; rejects with the error when the miner could not start (a refused enrolment request). */
  finished: Promise<void>;
  /** Closes the socket (1000), aborts running jobs and closes the health endpoint. */
  stop(): Promise<void>;
}

/**
 * Starts the miner role: validates the configuration, opens the health
 * endpoint, then (in the background) reuses the saved identity or enrolls,
 * and keeps one WebSocket to the server running jobs on Ollama. Throws
 * `config_invalid` for a bad configuration or a damaged identity file.
 */
export async function startMiner(env: Env, options: StartMinerOptions = {}): Promise<RunningMiner> {
  const config = loadMinerConfig(env);
  const saved = loadIdentity(config.stateDir);
  const log = (options.log ?? createLogger({ level: config.LOG_LEVEL, secrets: [...minerSecretValues(config), ...(saved ? [saved.minerToken] : [])] })).child({
    module: 'miner',
  });
  const version = options.version ?? 'unknown';
  const print = options.print ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const probe = createOllamaProbe(config.OLLAMA_HOST, createModelCatalog(config.MODELS, log), log, { retryEveryS: config.MINER_HEARTBEAT_INTERVAL });

  let identity: MinerIdentity | undefined = saved;
  let session: Session | undefined;
  let ownStatus: MinerStatus = saved ? 'connecting' : 'enrolling';
  const status = (): MinerStatus => (ownStatus === 'failed' || ownStatus === 'stopped' ? ownStatus : (session?.status() ?? ownStatus));
  const health = await startHealthServer(config.HOST, config.PORT, { probe, status, connected: () => session?.connected() ?? false }, log);

  const stopping = new AbortController();
  let settle!: { resolve: () => void; reject: (err: unknown) => void };
  const finished = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  finished.catch(() => {}); // callers that never await it must not crash the process on a failed start

  async function begin(): Promise<void> {
    let initialStatus: MinerStatus | undefined;
    if (!identity) {
      log.info({ server: config.SERVER_URL, workerId: config.WORKER_ID, remote: Boolean(config.MINER_REGISTRATION_TOKEN) }, 'enrolling with the server');
      const enrolled = await enroll(config, {
        log,
        version,
        signal: stopping.signal,
        retry: { unreachable: options.backoff?.enrollUnreachable, refused: options.backoff?.enrollRefused },
      });
      if (!enrolled) return; // stopped while enrolling
      saveIdentity(config.stateDir, enrolled.identity);
      identity = enrolled.identity;
      initialStatus = enrolled.status;
      log.info({ minerId: identity.minerId, status: enrolled.status }, 'enrolled; identity saved');
    } else {
      if (identity.serverUrl !== config.SERVER_URL)
        log.warn({ enrolledWith: identity.serverUrl, server: config.SERVER_URL }, 'SERVER_URL differs from the server this identity was enrolled with');
      if (identity.workerId !== config.WORKER_ID)
        log.warn(
          { workerId: identity.workerId },
          'WORKER_ID changed since enrolment; the saved name is kept (delete the state folder to enroll under the new name)',
        );
      log.info({ minerId: identity.minerId }, 'reusing the saved miner identity');
    }
    if (stopping.signal.aborted) return;
    session = startSession({ config, identity, version, log, probe, print, initialStatus, backoff: options.backoff?.reconnect });
  }

  begin().catch(async (err: unknown) => {
    ownStatus = 'failed';
    log.fatal({ code: isAppError(err) ? err.code : 'internal' }, `miner cannot start: ${(err as Error).message}`);
    await health.close();
    settle.reject(err);
  });

  return {
    config,
    port: health.port,
    minerId: () => identity?.minerId,
    status,
    connected: () => session?.connected() ?? false,
    finished,
    async stop() {
      if (ownStatus === 'stopped') return finished;
      const wasFailed = ownStatus === 'failed';
      ownStatus = 'stopped';
      stopping.abort();
      await session?.close();
      if (!wasFailed) await health.close();
      log.info('miner stopped');
      settle.resolve();
    },
  };
}
