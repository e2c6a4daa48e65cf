import type { AuditService } from '../audit/audit.service.ts';
import type { Clock } from '../kernel/clock.ts';
import type { Log } from '../kernel/log.ts';
import type { LiveMiner, Probation, Registry } from './registry.service.ts';
import { startJob, type JobSilence } from './jobs.ts';

/** What a probe asks: a few tokens of anything. */
const PROBE_MESSAGES = [{ role: 'user' as const, content: 'Reply with the single word: ready' }];
const PROBE_TOKENS = 8;

type Outcome = 'proven' | 'failed' | 'busy' | 'gone';

/**
 * Probation for miners that took a chat job and sent no first token in
 * time: the registry keeps them off user jobs, and a probe job (the same
 * model and context length, a few tokens) is sent until one answers; then
 * they are trusted again. A heartbeat cannot clear it, since a miner says
 * what it likes in those; the probe exercises the very path that failed.
 * A failed probe is retried after `beforeFirstMs`; a miner that is offline
 * or disabled is probed when it comes back.
 */
export function createProbation(deps: { registry: Registry; clock: Clock; silence: JobSilence; log: Log; audit: AuditService }) {
  const { registry, log, audit } = deps;
  const probeMs = Math.max(deps.silence.probeMs, deps.silence.beforeFirstMs);
  const busy = new Set<string>(); // a probe is scheduled or running
  const actor = (m: LiveMiner) => ({ id: m.id, label: `miner:${m.workerId}` });

  async function probe(id: string): Promise<Outcome> {
    const p = registry.probation(id);
    const m = registry.get(id);
    if (!p || !m || m.status !== 'active') return 'gone';
    if (m.inflight >= m.capacity) return 'busy';
    m.inflight += 1; // the slot, reserved as the scheduler does
    const job = startJob(
      registry,
      m,
      (jobId) => ({ type: 'chat', jobId, model: p.model, messages: PROBE_MESSAGES, options: { num_ctx: p.numCtx, num_predict: PROBE_TOKENS } }),
      undefined,
      { firstMs: probeMs, nextMs: probeMs },
    );
    try {
      for await (const e of job.events) {
        if (e.type === 'chunk' || e.type === 'done') {
          // Audited first: when the entry cannot be written (disk full) the miner stays on probation and is probed again.
          audit.record({ actor: actor(m), action: 'miner.probation_cleared', target: id, details: { model: p.model, sinceMs: deps.clock() - p.since } });
          registry.clearProbation(id);
          log.info({ minerId: id, workerId: m.workerId, model: p.model }, 'a miner on probation answered its probe job; it takes jobs again');
          return 'proven';
        }
        if (e.type === 'failed' || e.type === 'lost') {
          log.warn(
            { minerId: id, workerId: m.workerId, reason: e.type === 'lost' ? e.reason : `${e.code}: ${e.message}` },
            'probe job failed; the miner stays on probation',
          );
          return 'failed';
        }
      }
      return 'failed';
    } finally {
      job.finish();
    }
  }

  function schedule(id: string, delayMs: number): void {
    if (busy.has(id)) return;
    busy.add(id);
    setTimeout(() => {
      // Fire and forget, with every error handled here: a probe that throws (its audit entry could not
      // be written) is logged and tried again, never left to reject unhandled, which would stop the server.
      void probe(id)
        .catch((err: unknown): Outcome => {
          log.error({ err, minerId: id }, 'a probe job could not be completed; the miner stays on probation and is probed again');
          return 'failed';
        })
        .then((outcome) => {
          busy.delete(id);
          if (outcome === 'failed' || outcome === 'busy') schedule(id, deps.silence.beforeFirstMs);
        });
    }, delayMs).unref();
  }

  // A miner on probation that reconnects or is enabled again is probed then.
  registry.onChange(() => {
    for (const id of registry.onProbation()) if (registry.get(id)?.status === 'active') schedule(id, 0);
  });

  return {
    /** Puts a miner on probation (once) and starts probing it. */
    start(m: LiveMiner, why: Omit<Probation, 'since'>): void {
      if (!registry.probation(m.id)) {
        log.warn(
          { minerId: m.id, workerId: m.workerId, model: why.model, reason: why.reason },
          'a miner took a job and sent no first token in time; no more jobs for it until a probe job answers',
        );
        audit.record({ actor: actor(m), action: 'miner.probation', outcome: 'failure', target: m.id, details: { model: why.model, reason: why.reason } });
        registry.putOnProbation(m.id, { ...why, since: deps.clock() });
      }
      schedule(m.id, 0);
    },
  };
}

/** The probation of miners. */
export type MinerProbation = ReturnType<typeof createProbation>;
