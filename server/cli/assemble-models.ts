import type { Server } from 'node:http';
import type { AuditService } from '../audit/service.ts';
import { createMinerBackend, JOB_SILENCE, type JobSilence } from '../backend/miners.ts';
import { createProbation } from '../backend/miner-probation.ts';
import { usageClampReporter } from '../backend/miner-usage.ts';
import { createOpenAIBackend } from '../backend/openai.ts';
import type { ModelBackend } from '../backend/types.ts';
import type { PageReader } from '../browser-client/client.ts';
import { createEngine } from '../chat/engine.ts';
import { createChatService } from '../chat/service.ts';
import { createChatStore } from '../chat/store.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import { attachMinerSocket } from '../http/miner-socket.ts';
import type { Clock } from '../kernel/clock.ts';
import { assertLocalEndpoint, type Resolver } from '../kernel/egress.ts';
import type { Log } from '../kernel/log.ts';
import { createRegistry } from '../miners/registry.ts';
import { createScheduler } from '../miners/scheduler.ts';
import { createMinerService } from '../miners/service.ts';
import { createMinersStore } from '../miners/store.ts';
import { createModelService } from '../models/service.ts';
import { createModelsStore } from '../models/store.ts';
import { createUsageService } from '../usage/service.ts';
import { createUsageStore } from '../usage/store.ts';
import { createKnowledgeLayer } from './assemble-knowledge.ts';

/**
 * Wires the model side: miner registry and scheduler, the backend (miners
 * or an external OpenAI-compatible endpoint, refused outside the local
 * network when NO_EXTERNAL_EGRESS=1), catalog, usage ledger, the engine
 * the knowledge base, and chat (reading linked web pages through `pages`,
 * the browser sidecar's client, and searching the knowledge base). Answers a crash left half-written are marked failed here.
 */
export async function createModelLayer(config: Config, log: Log, db: Db, audit: AuditService, clock: Clock, extras: { resolve?: Resolver | undefined; pages?: PageReader | undefined; silence?: Partial<JobSilence> | undefined } = {}) {
  const { resolve } = extras;
  const orm = db.orm;
  const registry = createRegistry(clock, config.MINER_HEARTBEAT_INTERVAL);
  const miners = createMinerService({ store: createMinersStore(orm), audit, clock, enrollmentSecret: config.MINER_ENROLLMENT_SECRET, onStatus: registry.setStatus, onRetired: registry.retire });
  const scheduler = createScheduler(registry, clock);
  let backend: ModelBackend;
  if (config.ORCH_MODEL_BACKEND === 'openai') {
    if (config.NO_EXTERNAL_EGRESS) await assertLocalEndpoint(config.OPENAI_BASE_URL!, resolve);
    backend = createOpenAIBackend({ baseUrl: config.OPENAI_BASE_URL!, apiKey: config.OPENAI_API_KEY, clock });
  } else {
    const silence: JobSilence = { ...JOB_SILENCE, beforeFirstMs: config.MINER_FIRST_TOKEN_TIMEOUT_S * 1000, ...extras.silence };
    const probation = createProbation({ registry, clock, silence, log: log.child({ module: 'miners' }), audit });
    backend = createMinerBackend({ registry, scheduler, clock, queueWaitS: config.MINER_QUEUE_SYNC_WAIT_S, silence, probation, onUsageClamped: usageClampReporter(log.child({ module: 'miners' }), audit) });
  }
  const catalog = createModelService({ store: createModelsStore(orm), audit, clock });
  const usage = createUsageService({ store: createUsageStore(orm), audit, clock, defaults: { daily: config.TOKEN_BUDGET_DAILY, monthly: config.TOKEN_BUDGET_MONTHLY } });
  const engine = createEngine({ backend, models: catalog, usage, clock, log: log.child({ module: 'engine' }), maxStreams: config.MAX_CONCURRENT_STREAMS });
  const knowledge = createKnowledgeLayer(config, log, db, { engine, catalog, audit, clock, pages: extras.pages });
  const chat = createChatService({ store: createChatStore(orm), engine, clock, pages: extras.pages, knowledge: knowledge.reader });
  const interrupted = chat.recoverInterrupted();
  if (interrupted > 0) log.warn({ interrupted }, 'answers interrupted by the previous stop were marked failed');
  return {
    registry,
    miners,
    scheduler,
    backend,
    catalog,
    usage,
    engine,
    chat,
    knowledge,
    attachSockets(server: Server): () => void {
      const sockets = attachMinerSocket(server, { service: miners, registry, log: log.child({ module: 'miners' }), trustedProxies: config.TRUSTED_PROXIES, clock });
      return () => sockets.close();
    },
  };
}

/** The model side of the server. */
export type ModelLayer = Awaited<ReturnType<typeof createModelLayer>>;
