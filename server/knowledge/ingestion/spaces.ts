import type { Clock } from '../../kernel/clock.ts';
import type { Log } from '../../kernel/log.ts';
import type { CatalogModel } from '../../models/models.types.ts';
import type { QueueStore } from '../store/queue.store.ts';
import type { VectorsStore } from '../store/vectors.store.ts';
import type { VectorSpace } from '../knowledge.types.ts';

/** The catalog's default embedding model, or undefined when there is none usable. */
export type DefaultEmbedder = () => CatalogModel | undefined;

/**
 * Keeps the vector spaces in line with the catalog's default embedding
 * model. The first model gets an active space at once. A different model
 * (or the same one with other dimensions) gets a `building` space, filled by
 * an `embed` job in the background while queries keep using the active one;
 * the job then promotes it and the old space is dropped. Switching back
 * before that finishes drops the half-built space.
 */
export function createSpaceManager(deps: { vectors: VectorsStore; queue: QueueStore; defaultEmbedder: DefaultEmbedder; clock: Clock; log: Log }) {
  const { vectors, queue, clock, log } = deps;
  const matches = (s: VectorSpace | undefined, m: CatalogModel) => s !== undefined && s.model === m.name && s.dimensions === m.dimensions;
  return {
    /** Brings the spaces in line with the catalog; cheap when nothing changed. */
    reconcile(): void {
      const model = deps.defaultEmbedder();
      if (!model?.dimensions) return;
      const now = new Date(clock());
      vectors.dropRetired();
      const active = vectors.active();
      const building = vectors.building();
      // A space and its fill job are made in one transaction: a crash cannot leave a space nobody fills.
      const withJob = (space: VectorSpace) => queue.enqueueSpace(space.id, now);
      if (!active) {
        // Chunks made while there was no model get their vectors too.
        const space = vectors.create(model.name, model.dimensions, 'active', now, withJob);
        log.info({ space: space.id, model: model.name, dimensions: model.dimensions }, 'vector space created');
        return;
      }
      if (matches(active, model)) {
        if (building) {
          vectors.drop(building.id);
          log.info({ space: building.id }, 'embedding model switched back: half-built vector space dropped');
        }
        return;
      }
      if (matches(building, model)) {
        // A fill that failed for good is tried again once an admin has changed the model since.
        const job = queue.forSpace(building!.id);
        if (!job || (job.state === 'failed' && job.updatedAt < model.updatedAt)) withJob(building!);
        return;
      }
      if (building) vectors.drop(building.id);
      const space = vectors.create(model.name, model.dimensions, 'building', now, withJob);
      log.info({ space: space.id, model: model.name, from: active.model }, 'embedding model changed: re-embedding every chunk in the background');
    },
    /** The spaces new chunks go into: the active one and a building one. */
    targets: (): VectorSpace[] => [vectors.active(), vectors.building()].filter((s): s is VectorSpace => s !== undefined),
  };
}

/** The space manager. */
export type SpaceManager = ReturnType<typeof createSpaceManager>;
