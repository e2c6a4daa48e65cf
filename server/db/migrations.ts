import { z } from 'zod';
import { readEmbedded } from '../kernel/embedded.ts';
import { sha256Hex } from '../kernel/secrets.ts';

/** One forward-only schema step. */
export interface Migration {
  /** drizzle-kit's tag, e.g. `0000_init`. */
  tag: string;
  sql: string;
  /** SHA-256 of the SQL, recorded when applied so an edited migration is noticed. */
  hash: string;
}

const journalSchema = z.object({
  entries: z.array(z.object({ idx: z.number(), tag: z.string().regex(/^[\w-]+$/) })),
});

const DIR = 'server/db/migrations';

/** The migrations this build knows, in order, read from the embedded journal. */
export function bundledMigrations(): Migration[] {
  const journal = journalSchema.parse(JSON.parse(readEmbedded(`${DIR}/meta/_journal.json`).toString('utf8')));
  return [...journal.entries]
    .sort((a, b) => a.idx - b.idx)
    .map(({ tag }) => {
      const sql = readEmbedded(`${DIR}/${tag}.sql`).toString('utf8');
      return { tag, sql, hash: sha256Hex(sql) };
    });
}
