import type { Clock } from '../kernel/clock.ts';
import type { MinersStore } from './miners.store.ts';
import type { MinerRow } from './miners.types.ts';

/** What a connected miner says about itself, kept on its row. */
export interface SeenFacts {
  version?: string;
  models?: MinerRow['models'];
  address?: string | undefined;
}

/** A miner's row is written at most this often for what its frames say (lastSeen, models). */
export const SEEN_WRITE_EVERY_MS = 5_000;

/**
 * Records when miners were last seen and what they advertised, writing each
 * miner's row at most once every {@link SEEN_WRITE_EVERY_MS}: a miner
 * sending frames faster (or a flood of them) costs no more disk writes.
 * Facts that arrive in between are merged and written with the next write,
 * or by `flush` when the miner disconnects, so nothing is lost.
 */
export function createSeenWriter(store: Pick<MinersStore, 'update'>, clock: Clock) {
  const state = new Map<string, { writtenAt: number; pending: Partial<MinerRow> | undefined }>();
  return {
    /** Notes a sign of life with what it said; writes now or merges it into the next write. */
    note(id: string, facts: SeenFacts): void {
      const now = clock();
      const set: Partial<MinerRow> = {
        lastSeenAt: new Date(now),
        ...(facts.version !== undefined ? { version: facts.version } : {}),
        ...(facts.models !== undefined ? { models: facts.models } : {}),
        ...(facts.address !== undefined ? { lastAddress: facts.address } : {}),
      };
      const s = state.get(id);
      if (s && now - s.writtenAt < SEEN_WRITE_EVERY_MS) {
        s.pending = { ...s.pending, ...set };
        return;
      }
      store.update(id, { ...s?.pending, ...set });
      state.set(id, { writtenAt: now, pending: undefined });
    },
    /** Writes what is noted but not yet written (the miner disconnected). */
    flush(id: string): void {
      const s = state.get(id);
      if (!s?.pending) return;
      store.update(id, s.pending);
      state.set(id, { writtenAt: clock(), pending: undefined });
    },
  };
}
