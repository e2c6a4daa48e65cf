import type { Clock } from '../kernel/clock.ts';
import { CLOSE, type AdvertisedModel, type MinerFrame, type ServerFrame } from '../kernel/protocol/miner.ts';

/** Frames that belong to one job. */
export type JobFrame = Extract<MinerFrame, { jobId: string }>;

/** Receives a job's frames, or hears that its miner went away. */
export interface JobHandler {
  onFrame(frame: JobFrame): void;
  onLost(reason: string): void;
}

/** A connected miner as the scheduler sees it. */
export interface LiveMiner {
  readonly id: string;
  readonly workerId: string;
  status: 'pending' | 'active' | 'disabled' | 'revoked';
  healthy: boolean;
  problem: string | undefined;
  capacity: number;
  inflight: number;
  models: AdvertisedModel[];
  connectedAt: number;
  lastFrameAt: number;
  /** When a job of this miner last streamed a token (0: never): a busy miner is not a silent one. */
  lastTokenAt: number;
  lastAssignedAt: number;
  readonly jobs: Map<string, JobHandler>;
  send(frame: ServerFrame): void;
  close(code: number, reason: string): void;
}

/** Why a miner gets no user job until a probe job shows it answers again. */
export interface Probation {
  since: number;
  reason: string;
  /** The model and context length of the job it failed: the probe runs the same, so Ollama need not reload. */
  model: string;
  numCtx: number;
}

/** What a connection tells the registry when it opens. */
export interface Connection {
  id: string;
  workerId: string;
  status: LiveMiner['status'];
  hello: Extract<MinerFrame, { type: 'hello' }>;
  send(frame: ServerFrame): void;
  close(code: number, reason: string): void;
}

/**
 * The miners connected right now, in memory. Connections are added and
 * removed by the WebSocket layer; the scheduler reads them and is told
 * whenever capacity may have appeared.
 */
export function createRegistry(clock: Clock, heartbeatIntervalS: number) {
  const live = new Map<string, LiveMiner>();
  // Kept by miner id, not by connection: reconnecting does not clear it.
  const probation = new Map<string, Probation>();
  const fresh = (m: LiveMiner): boolean => clock() - m.lastFrameAt < 3 * heartbeatIntervalS * 1000;
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const l of listeners) l();
  };

  function drop(m: LiveMiner, reason: string) {
    if (live.get(m.id) === m) live.delete(m.id);
    const jobs = [...m.jobs.values()];
    m.jobs.clear();
    m.inflight = 0;
    for (const j of jobs) j.onLost(reason);
  }

  return {
    heartbeatIntervalS,
    /** Registers a new connection; an older one of the same miner is closed and its jobs lost. */
    connect(c: Connection): LiveMiner {
      const old = live.get(c.id);
      if (old) {
        drop(old, 'the miner reconnected');
        old.close(CLOSE.replaced, 'replaced by a newer connection');
      }
      const now = clock();
      const m: LiveMiner = {
        id: c.id,
        workerId: c.workerId,
        status: c.status,
        healthy: c.hello.healthy,
        problem: undefined,
        capacity: c.hello.capacity,
        inflight: 0,
        models: c.hello.models,
        connectedAt: now,
        lastFrameAt: now,
        lastTokenAt: 0,
        lastAssignedAt: 0,
        jobs: new Map(),
        send: c.send,
        close: c.close,
      };
      live.set(c.id, m);
      changed();
      return m;
    },
    /** Forgets a closed connection; its running jobs are told they are lost. */
    disconnect(m: LiveMiner, reason = 'the miner disconnected'): void {
      drop(m, reason);
      changed();
    },
    /** Applies a frame from a miner. */
    receive(m: LiveMiner, frame: MinerFrame): void {
      m.lastFrameAt = clock();
      if (frame.type === 'heartbeat') {
        const before = m.healthy;
        m.healthy = frame.healthy;
        m.problem = frame.problem;
        m.models = frame.models;
        if (!before && m.healthy) changed();
        return;
      }
      if (frame.type === 'hello') return;
      const job = m.jobs.get(frame.jobId);
      if (!job) return; // a late frame of a cancelled job
      if (frame.type === 'chunk' && frame.delta !== '') m.lastTokenAt = m.lastFrameAt;
      if (frame.type !== 'chunk') {
        m.jobs.delete(frame.jobId);
        m.inflight = Math.max(0, m.inflight - 1);
        changed();
      }
      job.onFrame(frame);
    },
    /** Starts a job on a miner the scheduler picked (and whose slot it already reserved). */
    assign(m: LiveMiner, jobId: string, handler: JobHandler, frame: ServerFrame): void {
      m.jobs.set(jobId, handler);
      m.lastAssignedAt = clock();
      m.send(frame);
    },
    /** Gives up a job (stop, or the caller went away): tells the miner and frees the slot. */
    cancel(m: LiveMiner, jobId: string): void {
      if (!m.jobs.delete(jobId)) return;
      m.inflight = Math.max(0, m.inflight - 1);
      m.send({ type: 'cancel', jobId });
      changed();
    },
    /** Applies an admin's status change to a live connection. */
    setStatus(id: string, status: LiveMiner['status']): void {
      const m = live.get(id);
      if (!m) return;
      m.status = status;
      if (status === 'revoked') {
        drop(m, 'the miner was revoked');
        m.close(CLOSE.revoked, 'revoked');
      } else m.send({ type: 'status', status });
      changed();
    },
    /** Ends a live connection whose credential was replaced by a new enrolment: the old token no longer opens anything. */
    retire(id: string): void {
      const m = live.get(id);
      if (!m) return;
      drop(m, 'the miner enrolled again');
      m.close(CLOSE.revoked, 'credential replaced by a new enrolment');
      changed();
    },
    /** True when the miner has spoken within three heartbeat intervals. */
    fresh,
    /** True when one of the miner's jobs streamed a token within the last `ms`. */
    streamedWithin: (m: LiveMiner, ms: number): boolean => clock() - m.lastTokenAt < ms,
    /** True when the miner may be given user jobs: active, healthy by its own word, heard from recently, not on probation. */
    available: (m: LiveMiner): boolean => m.status === 'active' && m.healthy && fresh(m) && !probation.has(m.id),
    /** Takes a miner off user jobs until {@link clearProbation} (a probe job answered). */
    putOnProbation(id: string, p: Probation): void {
      probation.set(id, p);
      changed();
    },
    /** Gives a miner back its user jobs. */
    clearProbation(id: string): void {
      if (probation.delete(id)) changed();
    },
    /** Why a miner is on probation; undefined when it is not. */
    probation: (id: string): Probation | undefined => probation.get(id),
    /** Ids of the miners on probation. */
    onProbation: (): string[] => [...probation.keys()],
    get: (id: string): LiveMiner | undefined => live.get(id),
    all: (): LiveMiner[] => [...live.values()],
    /** Calls `fn` whenever capacity may have appeared; returns an unsubscribe function. */
    onChange(fn: () => void): () => void {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    /** Closes every connection (shutdown). */
    closeAll(code: number, reason: string): void {
      for (const m of [...live.values()]) {
        drop(m, 'the server is shutting down');
        m.close(code, reason);
      }
    },
  };
}

/** The live-miner registry. */
export type Registry = ReturnType<typeof createRegistry>;
