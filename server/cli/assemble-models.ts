import type { Server } from 'node:http';
import type { AuditService } from '../audit/audit.service.ts';
import { createMinerBackend, JOB_SILENCE, type JobSilence } from '../miners/miners-backend.service.ts';
import { createProbation } from '../miners/probation.ts';
import { usageClampReporter } from '../miners/usage-bounds.ts';
import { createOpenAIBackend } from '../backend/openai-backend.service.ts';
import type { ModelBackend } from '../backend/backend.types.ts';
import type { PageFetcher } from '../browser-client/browser-client.service.ts';
import { createEngine, type Engine } from '../chat/engine.service.ts';
import type { Grounding } from '../chat/knowledge-prompt.ts';
import { createChatService } from '../chat/chat.service.ts';
import { createChatStore } from '../chat/chat.store.ts';
import type { Config } from '../config.ts';
import type { Orm } from '../db/client.ts';
import { attachMinerSocket } from '../miners/miners.socket.ts';
import type { Clock } from '../kernel/clock.ts';
import { assertLocalEndpoint, type Resolver } from '../kernel/egress.ts';
import type { Log } from '../kernel/log.ts';
import { createRegistry } from '../miners/registry.service.ts';
import { createScheduler } from '../miners/scheduler.ts';
import { createMinerService } from '../miners/miners.service.ts';
import { createMinersStore } from '../miners/miners.store.ts';
import { createModelService, type ModelGate, type ModelService } from '../models/models.service.ts';
import { createModelsStore } from '../models/models.store.ts';
import { createUsageService, type GroupBudgets, type UsageService } from '../usage/usage.service.ts';
import type { FeatureGate } from '../kernel/features.ts';
import { createUsageStore } from '../usage/usage.store.ts';

/*
 * One small builder per feature of the model side, called in order by the
 * composition root (assemble.ts): miners, then the backend over them, the
 * catalog, the usage ledger, the engine over those, and chat.
 */

/** What every builder may take from the root. */
export interface Base {
  config: Config;
  log: Log;
  orm: Orm;
  audit: AuditService;
  clock: Clock;
}

/** Miners: their service, the live registry and the scheduler, and the WebSocket they connect to. */
export function buildMiners({ config, log, orm, audit, clock }: Base) {
  const registry = createRegistry(clock, config.MINER_HEARTBEAT_INTERVAL);
  const service = createMinerService({
    store: createMinersStore(orm),
    audit,
    clock,
    enrollmentSecret: config.MINER_ENROLLMENT_SECRET,
    onStatus: registry.setStatus,
    onRetired: registry.retire,
  });
  const scheduler = createScheduler(registry, clock);
  return {
    service,
    registry,
    scheduler,
    /** Serves the miner WebSocket on an HTTP server; returns a function closing its connections. */
    attachSockets(server: Server): () => void {
      const sockets = attachMinerSocket(server, { service, registry, log: log.child({ module: 'miners' }), trustedProxies: config.TRUSTED_PROXIES, clock });
      return () => sockets.close();
    },
  };
}

/** The miners feature as the root holds it. */
export type Miners = ReturnType<typeof buildMiners>;

/**
 * The model backend: the miners, or an external OpenAI-compatible endpoint
 * (refused outside the local network when NO_EXTERNAL_EGRESS=1).
 */
export async function buildBackend(
  { config, log, audit, clock }: Base,
  miners: Miners,
  o: { resolve?: Resolver | undefined; silence?: Partial<JobSilence> | undefined },
): Promise<ModelBackend> {
  if (config.ORCH_MODEL_BACKEND === 'openai') {
    if (config.NO_EXTERNAL_EGRESS) await assertLocalEndpoint(config.OPENAI_BASE_URL!, o.resolve);
    return createOpenAIBackend({ baseUrl: config.OPENAI_BASE_URL!, apiKey: config.OPENAI_API_KEY, clock });
  }
  const { registry, scheduler } = miners;
  const silence: JobSilence = { ...JOB_SILENCE, beforeFirstMs: config.MINER_FIRST_TOKEN_TIMEOUT_S * 1000, ...o.silence };
  const probation = createProbation({ registry, clock, silence, log: log.child({ module: 'miners' }), audit });
  return createMinerBackend({
    registry,
    scheduler,
    clock,
    queueWaitS: config.MINER_QUEUE_SYNC_WAIT_S,
    silence,
    probation,
    onUsageClamped: usageClampReporter(log.child({ module: 'miners' }), audit),
  });
}

/** The model catalog. */
export function buildCatalog({ orm, audit, clock }: Base, gate?: ModelGate): ModelService {
  return createModelService({ store: createModelsStore(orm), audit, clock, gate });
}

/** The usage ledger and budgets. */
export function buildUsage({ config, orm, audit, clock }: Base, groups?: GroupBudgets): UsageService {
  return createUsageService({
    store: createUsageStore(orm),
    audit,
    clock,
    defaults: { daily: config.TOKEN_BUDGET_DAILY, monthly: config.TOKEN_BUDGET_MONTHLY },
    groups,
  });
}

/** The engine: every generation and embedding, through the catalog, the budgets and the backend. */
export function buildEngine({ config, log, clock }: Base, d: { backend: ModelBackend; catalog: ModelService; usage: UsageService }): Engine {
  return createEngine({
    backend: d.backend,
    models: d.catalog,
    usage: d.usage,
    clock,
    log: log.child({ module: 'engine' }),
    maxStreams: config.MAX_CONCURRENT_STREAMS,
  });
}

/**
 * Chat: conversations over the engine, reading linked web pages through
 * `pages` and searching the knowledge base. Answers a crash left
 * half-written are marked failed here.
 */
export function buildChat(
  { log, orm, clock }: Base,
  d: { engine: Engine; pages?: PageFetcher | undefined; knowledge: Grounding; features?: FeatureGate | undefined },
) {
  const chat = createChatService({ store: createChatStore(orm), engine: d.engine, clock, pages: d.pages, knowledge: d.knowledge, features: d.features });
  const interrupted = chat.recoverInterrupted();
  if (interrupted > 0) log.warn({ interrupted }, 'answers interrupted by the previous stop were marked failed');
  return chat;
}
