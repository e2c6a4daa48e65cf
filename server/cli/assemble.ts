import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import { databaseCheck, databaseSizeBytes } from '../db/health.ts';
import { createApp, type App } from '../http/app.ts';
import { createMetrics } from '../http/metrics.ts';
import { createHealthService, type HealthService } from '../lib/health.ts';
import type { Log } from '../log.ts';
import { REVISION, VERSION } from '../version.ts';
import { openMigratedDatabase } from './database.ts';

/** The assembled server: the HTTP app and what it was built from. */
export interface Assembled {
  app: App;
  db: Db;
  health: HealthService;
  /** Releases what assembly opened (the database). */
  close(): void;
}

/**
 * Builds the whole server from its configuration: migrated database,
 * services, health checks, metrics and the HTTP app. The only place that
 * wires domains together; `serve` and the tests both use it.
 */
export async function assembleServer(config: Config, log: Log): Promise<Assembled> {
  const { db, migrations } = await openMigratedDatabase(config, log);
  const health = createHealthService();
  health.register('database', databaseCheck(db.sqlite, migrations));
  const metrics = createMetrics({ version: VERSION, revision: REVISION, node: process.version }, () => databaseSizeBytes(db.sqlite));
  const app = createApp({
    log,
    metrics,
    health,
    version: VERSION,
    maxJsonBytes: config.MAX_JSON_MB * 1024 * 1024,
    metricsToken: config.METRICS_TOKEN,
  });
  return { app, db, health, close: () => db.close() };
}
