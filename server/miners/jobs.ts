import { randomUUID } from 'node:crypto';
import { AsyncQueue } from '../kernel/async-queue.ts';
import type { JobFrame, LiveMiner, Registry } from './registry.service.ts';
import type { ServerFrame } from '../kernel/protocol/miner.ts';

/** What a job's reader gets: the miner's frames, or word that the job was lost (`beforeFirst` when the miner stayed silent from the start). */
export type JobEvent = JobFrame | { type: 'lost'; reason: string; beforeFirst?: boolean };

/** How long a miner job may stay silent before it is given up. */
export interface JobSilence {
  /** Chat, until the first token (MINER_FIRST_TOKEN_TIMEOUT_S): past it the job moves to another miner and this one goes on probation. */
  beforeFirstMs: number;
  /** Chat, between two tokens. */
  afterFirstMs: number;
  /** Embedding, until the vectors: there is no first token, and a large batch on a CPU takes minutes. */
  embedMs: number;
  /** A probation probe, until its first token: long enough for a cold model to load (at least `beforeFirstMs`). */
  probeMs: number;
  /**
   * Chat, until the first token while the same miner keeps streaming other answers: its Ollama may
   * queue requests (OLLAMA_NUM_PARALLEL), and a miner that is busy is not a silent one.
   */
  busyMaxMs: number;
}

/** The limits a server runs with; `beforeFirstMs` comes from the configuration, tests shorten the others. */
export const JOB_SILENCE: JobSilence = { beforeFirstMs: 30_000, afterFirstMs: 120_000, embedMs: 600_000, probeMs: 300_000, busyMaxMs: 600_000 };

/** The silence limits of one job: until its first output, then between two. */
export interface JobLimits {
  firstMs: number;
  nextMs: number;
  /** Wait for the first output in further `firstMs` steps, up to this long, while another job of the miner streams. */
  busyMaxMs?: number;
}

/**
 * Runs one job on one miner whose slot the caller already reserved, turning
 * its frames into a queue. A miner whose Ollama stalls keeps its socket
 * alive, so only silence on the job itself shows it: past a limit the job is
 * cancelled and reads as lost; before the first output the wait goes on
 * (up to `busyMaxMs`) while another job of the same miner streams. An empty
 * chunk is not output: it neither counts as the first token nor keeps a job
 * alive.
 */
export function startJob(registry: Registry, m: LiveMiner, frame: (jobId: string) => ServerFrame, signal: AbortSignal | undefined, limits: JobLimits) {
  const jobId = `job_${randomUUID()}`;
  const events = new AsyncQueue<JobEvent>();
  let spoke = false;
  const onAbort = () => {
    registry.cancel(m, jobId);
    events.push({ type: 'lost', reason: 'stopped' });
  };
  let idle: NodeJS.Timeout | undefined;
  let waited = 0; // before the first output
  const watch = (ms: number) => {
    clearTimeout(idle);
    idle = setTimeout(() => {
      if (!spoke) waited += ms;
      if (!spoke && waited < (limits.busyMaxMs ?? 0) && registry.streamedWithin(m, ms)) return watch(ms);
      registry.cancel(m, jobId);
      events.push({ type: 'lost', reason: `no output for ${(spoke ? ms : waited) / 1000} s`, beforeFirst: !spoke });
    }, ms);
  };
  const onFrame = (f: JobFrame) => {
    if (f.type === 'chunk' && f.delta === '') return;
    spoke = true;
    watch(limits.nextMs);
    events.push(f);
  };
  registry.assign(m, jobId, { onFrame, onLost: (reason) => events.push({ type: 'lost', reason }) }, frame(jobId));
  watch(limits.firstMs);
  signal?.addEventListener('abort', onAbort, { once: true });
  return {
    events,
    /** Frees the slot if the job is still running (the reader stopped early). */
    finish() {
      clearTimeout(idle);
      signal?.removeEventListener('abort', onAbort);
      registry.cancel(m, jobId);
    },
  };
}
