import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAuditService } from '../../../server/audit/audit.service.ts';
import { createAuditStore } from '../../../server/audit/audit.store.ts';
import { createUsersStore } from '../../../server/auth/users.store.ts';
import { openDatabase, openSqlite } from '../../../server/db/client.ts';
import { migrate } from '../../../server/db/migrate.ts';
import { bundledMigrations } from '../../../server/db/migrations.ts';
import { createUsageService, type UsageEntry } from '../../../server/usage/usage.service.ts';
import { createUsageStore } from '../../../server/usage/usage.store.ts';
import { tempDir } from '../../helpers/env.ts';

const tmp = tempDir();
afterAll(tmp.cleanup);

async function ledger(name: string) {
  const dir = join(tmp.dir, name);
  const path = join(dir, 'onsite.db');
  const db = openDatabase(path, { dataDir: dir });
  await migrate(db.sqlite, bundledMigrations(), join(dir, 'backups'));
  const now = Date.UTC(2026, 10, 23, 12);
  createUsersStore(db.orm).insert({ id: 'u1', email: 'a@example.test', name: 'A', role: 'user', createdAt: new Date(now), updatedAt: new Date(now) });
  const clock = () => now;
  const usage = createUsageService({
    store: createUsageStore(db.orm),
    audit: createAuditService(createAuditStore(db.orm), clock),
    clock,
    defaults: { daily: 0, monthly: 0 },
  });
  // What another process (a backup, the CLI) would see: only committed rows.
  const committed = () => {
    const other = openSqlite(path, { dataDir: dir, readonly: true });
    try {
      return other.prepare('SELECT count(*) AS n, coalesce(sum(prompt_tokens + completion_tokens), 0) AS tokens FROM usage').get() as {
        n: number;
        tokens: number;
      };
    } finally {
      other.close();
    }
  };
  return { db, usage, committed };
}

const entry = (i: number): UsageEntry => ({
  userId: 'u1',
  apiKeyId: null,
  source: 'api',
  model: 'm',
  minerId: null,
  promptTokens: i,
  completionTokens: 1,
  durationMs: 5,
  outcome: 'ok',
});

describe('usage ledger', () => {
  it('commits the rows of one turn together on the next, however many there are', async () => {
    const { db, usage, committed } = await ledger('turn');
    // More rows than one insert statement takes, so the batch spans several statements in one commit.
    for (let i = 0; i < 1203; i++) usage.record(entry(i));
    expect(committed().n).toBe(0);
    await new Promise((r) => setImmediate(r));
    expect(committed()).toEqual({ n: 1203, tokens: (1202 * 1203) / 2 + 1203 });
    db.close();
  });

  it('a read writes what is pending first, so a budget never misses a request', async () => {
    const { db, usage, committed } = await ledger('read');
    usage.record(entry(40));
    usage.record(entry(60));
    expect(usage.status('u1').daily.used).toBe(102);
    expect(committed().n).toBe(2);
    db.close();
  });
});
