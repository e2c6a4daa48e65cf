import { AppError } from '../kernel/errors.ts';
import { sameModel } from '../kernel/protocol/miner.ts';
import type { LiveMiner, Registry } from './registry.service.ts';

/** What a job needs from a miner. */
export interface Want {
  model: string;
  /** Miners already tried for this request. */
  exclude?: ReadonlySet<string>;
  signal?: AbortSignal | undefined;
  /** Give up at this time (ms since epoch). */
  deadline: number;
}

interface Waiter {
  want: Want;
  resolve(m: LiveMiner): void;
  reject(err: unknown): void;
}

/**
 * Picks a miner for each job: available (active, healthy, heard from
 * recently, not on probation), serving the model and below capacity; the least loaded (in-flight / capacity)
 * wins, ties going to the one that waited longest since its last job, so
 * work spreads fairly. When none is free the request waits in a FIFO
 * queue until its deadline, then fails with a clear 503.
 */
export function createScheduler(registry: Registry, clock: () => number) {
  const queue: Waiter[] = [];

  const servesModel = (m: LiveMiner, model: string) => registry.available(m) && m.models.some((x) => sameModel(x.name, model));
  const serves = (m: LiveMiner, want: Want) => !want.exclude?.has(m.id) && servesModel(m, want.model);

  function pick(want: Want): LiveMiner | undefined {
    let best: LiveMiner | undefined;
    for (const m of registry.all()) {
      if (!serves(m, want) || m.inflight >= m.capacity) continue;
      const load = m.inflight / m.capacity;
      const bestLoad = best ? best.inflight / best.capacity : Infinity;
      if (!best || load < bestLoad || (load === bestLoad && m.lastAssignedAt < best.lastAssignedAt)) best = m;
    }
    return best;
  }

  // Claims the slot at once, so two waiters woken together cannot both take the last one.
  function reserve(m: LiveMiner): LiveMiner {
    m.inflight += 1;
    return m;
  }

  function drain() {
    for (let i = 0; i < queue.length;) {
      const w = queue[i]!;
      const m = pick(w.want);
      if (!m) {
        i++;
        continue;
      }
      queue.splice(i, 1);
      w.resolve(reserve(m));
    }
  }
  registry.onChange(drain);

  function timeoutError(want: Want, waitedS: number): AppError {
    const anyServes = registry.all().some((m) => servesModel(m, want.model));
    return anyServes
      ? new AppError('miners_busy', `every miner serving ${want.model} stayed busy for ${waitedS} s; try again shortly`)
      : new AppError('no_miner', `no healthy miner serving ${want.model} is connected; ask an admin to check the Miners page`);
  }

  return {
    /**
     * Resolves with a miner whose slot is already reserved (the caller must
     * hand it to `registry.assign` after `release`-ing the reservation, or
     * call `release`). Rejects with `miners_busy`/`no_miner` at the deadline
     * or with the signal's reason when aborted.
     */
    acquire(want: Want): Promise<LiveMiner> {
      const now = clock();
      const m = queue.length === 0 ? pick(want) : undefined;
      if (m) return Promise.resolve(reserve(m));
      return new Promise<LiveMiner>((resolve, reject) => {
        const started = now;
        const cleanup = () => {
          clearTimeout(timer);
          want.signal?.removeEventListener('abort', onAbort);
        };
        const w: Waiter = {
          want,
          resolve: (x) => {
            cleanup();
            resolve(x);
          },
          reject: (e) => {
            cleanup();
            reject(e);
          },
        };
        const remove = () => {
          const i = queue.indexOf(w);
          if (i >= 0) queue.splice(i, 1);
        };
        const onAbort = () => {
          remove();
          w.reject(want.signal?.reason ?? new AppError('bad_request', 'cancelled'));
        };
        const timer = setTimeout(
          () => {
            remove();
            w.reject(timeoutError(want, Math.round((clock() - started) / 1000)));
          },
          Math.max(0, want.deadline - now),
        );
        want.signal?.addEventListener('abort', onAbort, { once: true });
        queue.push(w);
        drain();
      });
    },
    /** Gives back a reservation that was not turned into a job. */
    release(m: LiveMiner): void {
      m.inflight = Math.max(0, m.inflight - 1);
      drain();
    },
    /** Requests waiting for a miner now. */
    waiting: (): number => queue.length,
  };
}

/** The scheduler. */
export type Scheduler = ReturnType<typeof createScheduler>;
