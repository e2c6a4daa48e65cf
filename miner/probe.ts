import type { Log } from '../server/kernel/log.ts';
import type { AdvertisedModel } from '../server/kernel/protocol/miner.ts';
import type { ModelCatalog } from './models.ts';
import { classifyOllamaError, createOllamaClient } from './ollama.ts';

/** What the miner knows about its Ollama after a check. */
export interface OllamaHealth {
  healthy: boolean;
  /** Why not healthy, for the heartbeat and the health endpoint. */
  problem?: string;
  /** Advertised models; the last known list while Ollama is unreachable. */
  models: AdvertisedModel[];
}

/** Checks Ollama (list its models) and remembers the outcome. */
export interface OllamaProbe {
  /** Checks now; concurrent callers share one check. */
  check(): Promise<OllamaHealth>;
  /** The outcome of the latest check. */
  last(): OllamaHealth;
}

/** Bound on one health check, so a hung Ollama reads as unhealthy rather than stalling heartbeats. */
export const CHECK_TIMEOUT_MS = 5_000;

/** Options of {@link createOllamaProbe}. */
export interface ProbeOptions {
  /** Bound on one check; {@link CHECK_TIMEOUT_MS} by default. */
  timeoutMs?: number;
  /** How often the miner checks again (its heartbeat), told in the line that says Ollama does not answer. */
  retryEveryS: number;
}

/**
 * Creates the Ollama probe used by heartbeats, the hello frame and the
 * health endpoint. A state change (reachable ↔ not) is logged once, not on
 * every heartbeat; an Ollama that does not answer at all is said so in
 * plain words, with what to do.
 */
export function createOllamaProbe(host: string, catalog: ModelCatalog, log: Log, options: ProbeOptions): OllamaProbe {
  const timeoutMs = options.timeoutMs ?? CHECK_TIMEOUT_MS;
  let state: OllamaHealth = { healthy: false, problem: 'Ollama not checked yet', models: [] };
  let checked = false;
  let inflight: Promise<OllamaHealth> | undefined;

  async function run(): Promise<OllamaHealth> {
    const client = createOllamaClient(host, { timeoutMs });
    let next: OllamaHealth;
    try {
      const models = await catalog.list(client);
      next = { healthy: true, models };
      if (!state.healthy || !checked) {
        log.info({ ollama: host, models: models.map((m) => m.name) }, models.length > 0 ? 'Ollama reachable' : 'Ollama reachable but it has no model to offer');
      }
    } catch (err) {
      const failure = classifyOllamaError(err);
      next = { healthy: false, problem: failure.message.slice(0, 500), models: state.models };
      if (state.healthy || !checked) {
        const what =
          failure.code === 'ollama_unreachable'
            ? `no Ollama answers at ${host}: start Ollama (\`ollama serve\`) or set OLLAMA_HOST`
            : `Ollama at ${host} fails: ${next.problem}`;
        log.warn({ ollama: host, problem: next.problem }, `${what}; jobs are refused until it answers, retrying every ${options.retryEveryS} s`);
      }
    }
    checked = true;
    state = next;
    return next;
  }

  return {
    check() {
      inflight ??= run().finally(() => {
        inflight = undefined;
      });
      return inflight;
    },
    last: () => state,
  };
}
