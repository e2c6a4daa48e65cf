import { loadConfig, type Env } from '../config.ts';
import { createVectorsStore } from '../knowledge/store/vectors.store.ts';
import { createLogger } from '../kernel/log.ts';
import type { Command, CommandIo } from './command.ts';
import { openMigratedDatabase } from './database.ts';

async function runKnowledge(args: string[], env: Env, { out }: CommandIo): Promise<number> {
  const [sub] = args;
  if (sub !== 'status' && sub !== 'retrain') {
    out('usage: onsite knowledge status | onsite knowledge retrain');
    return 2;
  }
  const config = loadConfig(env);
  const { db } = await openMigratedDatabase(config, createLogger({ level: 'warn' }));
  try {
    const vectors = createVectorsStore(db.orm, db.sqlite);
    const spaces = vectors.live();
    if (spaces.length === 0) out('no vector index yet (no embedding model has indexed anything)');
    for (const space of spaces) {
      const rows = vectors.vectorCount(space);
      const before = vectors.training(space);
      const line = `${space.model} (${space.dimensions} dims, ${space.state}): ${rows} vectors, ${before.cells} cells trained at ${before.trainedRows}`;
      if (sub === 'status') {
        out(`${line}${before.stale ? ' — grown out of its training: run `onsite knowledge retrain`' : ''}`);
        continue;
      }
      const started = performance.now();
      const cells = vectors.retrain(space);
      out(`${line} → retrained: ${cells} cells in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
    return 0;
  } finally {
    db.close();
  }
}

/**
 * `onsite knowledge status | retrain`. The server retrains a vector index
 * by itself only while it is small (up to 10,000 vectors, a few seconds);
 * past that a retrain holds the database's write lock for tens of seconds
 * (about 46 s at 100,000 × 768), so it is the operator's call: run
 * `retrain` in a quiet hour, ideally with the server stopped. `status`
 * says when an index has grown out of its training.
 */
export const knowledgeCommand: Command = {
  name: 'knowledge',
  usage: [
    { synopsis: 'knowledge status', summary: 'show each vector index: vectors, cells, and whether it needs retraining' },
    {
      synopsis: 'knowledge retrain',
      summary:
        "retrain the vector indexes for their current size (holds the database's\nwrite lock meanwhile: about 46 s at 100,000 vectors; best with the server stopped)",
    },
  ],
  run: runKnowledge,
};
