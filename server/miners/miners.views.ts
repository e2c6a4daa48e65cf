import type { Registry } from './registry.service.ts';
import type { MinerService } from './miners.service.ts';
import type { MinerRow } from './miners.types.ts';

/*
 * Miners as the API and the admin pages show them: built here only, from
 * the store's rows, field by field, so no secret or pairing hash gets out.
 */

/** A miner as the admin sees it (no hashes). */
export function publicMiner(m: MinerRow) {
  return {
    id: m.id,
    workerId: m.workerId,
    enrolledVia: m.enrolledVia,
    status: m.status,
    version: m.version,
    models: m.models ?? [],
    createdAt: m.createdAt.toISOString(),
    confirmedAt: m.confirmedAt?.toISOString() ?? null,
    lastSeenAt: m.lastSeenAt?.toISOString() ?? null,
    lastAddress: m.lastAddress,
  };
}

/** A miner with its live state (connected, healthy, load). */
export function minerView(service: MinerService, registry: Registry) {
  return service.list().map((m) => {
    const live = registry.get(m.id);
    const probation = registry.probation(m.id);
    return {
      ...publicMiner(m),
      connected: Boolean(live),
      healthy: live ? live.healthy && registry.fresh(live) && !probation : false,
      problem: probation ? `on probation since ${new Date(probation.since).toISOString()}: ${probation.reason}` : (live?.problem ?? null),
      probation: Boolean(probation),
      inflight: live?.inflight ?? 0,
      capacity: live?.capacity ?? null,
      lastHeartbeatAt: live ? new Date(live.lastFrameAt).toISOString() : null,
      models: live?.models ?? m.models ?? [],
    };
  });
}

/** A miner with its live state, as the API returns it and the miners page renders it. */
export type MinerView = ReturnType<typeof minerView>[number];
