import type { ModelResponse, Ollama, ShowResponse } from 'ollama';
import type { Log } from '../server/kernel/log.ts';
import { classifyOllamaError } from './ollama.ts';
import type { AdvertisedModel } from '../server/kernel/protocol/miner.ts';

// Families whose models only embed, for an Ollama too old to list capabilities.
const EMBEDDING_NAME = /embed|(^|[/_:.-])(bge|e5|gte|minilm|paraphrase)([/_:.-]|$)/i;

// model_info is JSON (a plain object) even though the client types it as a Map.
function infoEntries(show: ShowResponse): Record<string, unknown> {
  const info = show.model_info as unknown;
  if (info instanceof Map) return Object.fromEntries(info);
  return info && typeof info === 'object' ? (info as Record<string, unknown>) : {};
}

function positiveInt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
}

/**
 * Describes a model from Ollama's `/api/show`: its kind (capabilities say
 * `embedding`, or else a pooling type or the name gives it away), its
 * context length (`<arch>.context_length`) and, for an embedding model,
 * its dimensions (`<arch>.embedding_length`).
 */
export function describeModel(name: string, show: ShowResponse): AdvertisedModel {
  const info = infoEntries(show);
  const arch = typeof info['general.architecture'] === 'string' ? info['general.architecture'] : undefined;
  const field = (suffix: string) => {
    if (arch && info[`${arch}.${suffix}`] !== undefined) return info[`${arch}.${suffix}`];
    const key = Object.keys(info).find((k) => k.endsWith(`.${suffix}`));
    return key ? info[key] : undefined;
  };
  const capabilities = Array.isArray(show.capabilities) ? show.capabilities : [];
  let kind: AdvertisedModel['kind'];
  if (capabilities.includes('embedding')) kind = 'embedding';
  else if (capabilities.length > 0) kind = 'chat';
  else kind = field('pooling_type') !== undefined || EMBEDDING_NAME.test(name) ? 'embedding' : 'chat';
  const contextLength = positiveInt(field('context_length'));
  const dimensions = kind === 'embedding' ? positiveInt(field('embedding_length')) : undefined;
  return { name, kind, ...(contextLength ? { contextLength } : {}), ...(dimensions ? { dimensions } : {}) };
}

/** Tells whether Ollama's model `name` is one that MODELS asks for (`x` also matches `x:latest`). */
export function wantedModel(name: string, wanted: readonly string[] | undefined): boolean {
  if (!wanted) return true;
  return wanted.some((w) => w === name || `${w}:latest` === name || w === `${name}:latest`);
}

/** Lists and describes Ollama's models, keeping each `/api/show` answer. */
export interface ModelCatalog {
  /** The advertised models now; throws when Ollama cannot be listed. */
  list(client: Ollama): Promise<AdvertisedModel[]>;
}

/**
 * Creates the model catalog. `show` answers are cached per name and digest,
 * so a heartbeat costs one `/api/tags` call and a re-pulled model is
 * described again.
 */
export function createModelCatalog(wanted: readonly string[] | undefined, log: Log): ModelCatalog {
  const cache = new Map<string, AdvertisedModel>();
  const warnedMissing = new Set<string>();

  async function describe(client: Ollama, model: ModelResponse): Promise<AdvertisedModel> {
    const key = `${model.name}@${model.digest}`;
    const cached = cache.get(key);
    if (cached) return cached;
    try {
      const described = describeModel(model.name, await client.show({ model: model.name }));
      cache.set(key, described);
      return described;
    } catch (err) {
      const failure = classifyOllamaError(err);
      if (failure.code === 'ollama_unreachable') throw err;
      // A model deleted between tags and show: advertise the name alone, ask again next time.
      log.warn({ model: model.name, reason: failure.message }, 'cannot describe model');
      return { name: model.name };
    }
  }

  return {
    async list(client) {
      const { models } = await client.list();
      const chosen = models.filter((m) => wantedModel(m.name, wanted));
      for (const w of wanted ?? []) {
        if (!models.some((m) => wantedModel(m.name, [w])) && !warnedMissing.has(w)) {
          warnedMissing.add(w);
          log.warn({ model: w }, `MODELS names ${w}, which this Ollama does not have; pull it (ollama pull ${w}) or load it from the bundle`);
        }
      }
      return Promise.all(chosen.map((m) => describe(client, m)));
    },
  };
}
