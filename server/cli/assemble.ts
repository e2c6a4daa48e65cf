import type { Server } from 'node:http';
import type { Keyring } from '../../licenses/activation-code.ts';
import { compiledKeyring } from '../../licenses/keyring.ts';
import { createAuditService } from '../audit/audit.service.ts';
import { createAuditStore } from '../audit/audit.store.ts';
import { createIdentity, type Identity } from '../auth/identity.service.ts';
import { createGroupsService, featureGateOf, modelGateOf } from '../groups/groups.service.ts';
import { createGroupsStore } from '../groups/groups.store.ts';
import { ldapFromConfig, ldapHealthCheck, ldapSyncJob } from './assemble-ldap.ts';
import type { JobSilence } from '../miners/miners-backend.service.ts';
import { createBrowserClient, type PageFetcher } from '../browser-client/browser-client.service.ts';
import { createBrowserMonitor, type BrowserMonitor } from '../browser-client/browser-status.service.ts';
import { join } from 'node:path';
import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import { dailyBackup } from '../db/daily-backup.ts';
import { databaseCheck, databaseSizeBytes } from '../db/health.ts';
import { createApp, type App, type ModelDeps } from '../app.ts';
import { hostPolicy } from '../http/hosts.ts';
import { createMetrics } from '../http/metrics.ts';
import { systemClock, type Clock } from '../kernel/clock.ts';
import { createHealthService, type HealthService } from '../kernel/health.ts';
import { createJobs, type Jobs } from '../kernel/jobs.ts';
import { createLicenseService, type LicenseService } from '../license/license.service.ts';
import { createSeatPolicy } from '../license/seats.service.ts';
import { createLicenseStore } from '../license/license.store.ts';
import type { Resolver } from '../kernel/egress.ts';
import type { SecretsService } from '../secrets/secrets.service.ts';
import type { Log } from '../kernel/log.ts';
import { REVISION, VERSION } from '../version.ts';
import { buildKnowledge, type Knowledge } from './assemble-knowledge.ts';
import { buildBackend, buildCatalog, buildChat, buildEngine, buildMiners, buildUsage, type Base } from './assemble-models.ts';
import { openMigratedDatabase } from './database.ts';
import { oidcSettingsOf } from './assemble-sign-in.ts';
import { secretsFor } from './secrets.ts';

/** The assembled server: the HTTP app and what it was built from, one field per feature. */
export interface Assembled extends ModelDeps {
  app: App;
  db: Db;
  health: HealthService;
  identity: Identity;
  license: LicenseService;
  /** Stored secrets sealed with DB_ENCRYPTION_KEY; `serve` checks the keys before listening. */
  secrets: SecretsService;
  /** Background jobs (daily backup); started by `serve`, not by one-shot commands. */
  jobs: Jobs;
  /** The knowledge base: service, retrieval, grounding, ingestion worker, vector spaces, status. */
  knowledge: Knowledge;
  /** The browser sidecar as this server sees it (for `/health` and the system page). */
  browser: BrowserMonitor;
  /** Serves the miner WebSocket on an HTTP server; returns a function closing its connections. */
  attachSockets(server: Server): () => void;
  /** Releases what assembly opened (the database). */
  close(): void;
}

/**
 * Builds the whole server from its configuration: migrated database,
 * services, health checks, metrics and the HTTP app. The only place that
 * wires domains together; `serve` and the tests both use it.
 */
/** Options for tests: a movable clock and the license keys to trust (a test key instead of the build's). */
export interface AssembleOptions {
  clock?: Clock | undefined;
  keyring?: Keyring | undefined;
  /** Host-name resolver for the egress check (tests never ask real DNS). */
  resolve?: Resolver | undefined;
  /** Reads web pages for the chat instead of the browser sidecar's client (tests of the chat). */
  pages?: PageFetcher | undefined;
  /** How long a miner job may stay silent before it is given up (tests shorten it). */
  silence?: Partial<JobSilence> | undefined;
}

export async function assembleServer(config: Config, log: Log, options: AssembleOptions = {}): Promise<Assembled> {
  const clock = options.clock ?? systemClock;
  const { db, migrations } = await openMigratedDatabase(config, log);
  const health = createHealthService();
  health.register('database', databaseCheck(db.sqlite, migrations));
  const secrets = secretsFor(db.orm, config, clock);
  // Identity depends on the license's seat policy (a port), the license service on identity's
  // count of active accounts: built in that order, with no forward reference.
  const licenseStore = createLicenseStore(db.orm);
  const audit = createAuditService(createAuditStore(db.orm), clock);
  // Groups come first: identity keeps directory-synced groups up to date, the catalog asks them who may use a model.
  const groups = createGroupsService({ store: createGroupsStore(db.orm), audit, clock });
  const identity = createIdentity(
    db.orm,
    clock,
    audit,
    {
      bootstrapToken: config.ONSITE_BOOTSTRAP_TOKEN,
      sessionSecret: config.SESSION_SECRET,
      idleMinutes: config.AUTH_IDLE_TIMEOUT_MINUTES,
      maxHours: config.SESSION_MAX_HOURS,
      baseUrl: config.APP_BASE_URL,
      recheckMinutes: config.SSO_RECHECK_MINUTES,
      ldap: ldapFromConfig(config),
      groupSync: groups,
      features: featureGateOf(groups),
      localLogin: config.LOCAL_LOGIN,
      mfaRequired: config.MFA_REQUIRED,
      oidc: oidcSettingsOf(config, options.resolve),
      log,
    },
    createSeatPolicy(licenseStore),
    secrets,
  );
  const license = createLicenseService({
    store: licenseStore,
    activeUsers: () => identity.users.activeCount(),
    audit: identity.audit,
    clock,
    keyring: options.keyring ?? compiledKeyring(),
    version: VERSION,
  });
  health.register('license', () => {
    const l = license.state();
    const summary = `${l.mode}, seats ${l.seatsUsed}/${l.seats}${l.daysLeft !== undefined ? `, ${l.daysLeft} days left` : ''}`;
    return l.clockBehind ? { ok: false, reason: 'clock_behind', message: summary } : { ok: true, message: summary };
  });
  health.register('bootstrap', () => {
    const s = identity.setup.status();
    return s.claimed || s.tokenConfigured
      ? { ok: true }
      : { ok: false, reason: 'bootstrap_token_missing', message: 'no admin yet and no ONSITE_BOOTSTRAP_TOKEN: run the init script' };
  });
  const browserClient = createBrowserClient({
    baseUrl: config.BROWSER_SERVICE_URL,
    token: config.BROWSER_SERVICE_AUTH_TOKEN,
    concurrency: config.BROWSER_CLIENT_CONCURRENCY,
    waitMs: config.BROWSER_CLIENT_WAIT_SECONDS * 1000,
    timeoutMs: config.BROWSER_CLIENT_TIMEOUT_SECONDS * 1000,
    localOnly: config.NO_EXTERNAL_EGRESS,
    resolve: options.resolve,
  });
  const browser = createBrowserMonitor(browserClient);
  // The model side, one builder per feature, each given only what it uses.
  const base: Base = { config, log, orm: db.orm, audit: identity.audit, clock };
  const pages = options.pages ?? browserClient;
  const miners = buildMiners(base);
  const backend = await buildBackend(base, miners, { resolve: options.resolve, silence: options.silence });
  const catalog = buildCatalog(base, modelGateOf(groups));
  const usage = buildUsage(base, groups);
  const engine = buildEngine(base, { backend, catalog, usage });
  const features = featureGateOf(groups);
  const knowledge = buildKnowledge({ ...base, db }, { engine, catalog, pages, features });
  const chat = buildChat(base, { engine, pages, knowledge: knowledge.grounding, features });
  const models = { miners: miners.service, registry: miners.registry, backend, catalog, usage, engine, chat, knowledge, groups };
  if (config.ORCH_MODEL_BACKEND === 'miners') {
    health.register(
      'miners',
      () => {
        const up = miners.registry.all().filter(miners.registry.available);
        return up.length > 0 ? { ok: true, message: `${up.length} healthy` } : { ok: false, reason: 'no_miners', message: 'no healthy miner connected' };
      },
      { critical: false },
    );
  }
  // Not critical, like the miners: without the sidecar chats still answer, only without web pages.
  health.register('browser', () => browser.check(), { critical: false });
  // Not critical: local accounts still sign in while the directory is down.
  if (identity.ldap) health.register('directory', ldapHealthCheck(identity.ldap), { critical: false });
  const metrics = createMetrics(
    { version: VERSION, revision: REVISION, node: process.version },
    () => databaseSizeBytes(db.sqlite),
    () => {
      const l = license.state();
      return { daysLeft: l.daysLeft, seatsUsed: l.seatsUsed, seatsTotal: l.seats };
    },
  );
  const app = createApp({
    log,
    metrics,
    health,
    identity,
    license,
    ...models,
    browser,
    version: VERSION,
    baseUrl: config.APP_BASE_URL,
    hosts: hostPolicy({
      baseUrl: config.APP_BASE_URL,
      allowedHosts: config.ALLOWED_HOSTS,
      port: config.PORT,
      tlsPort: config.TLS_PORT,
      tls: Boolean(config.TLS_CERT_PATH),
    }),
    maxJsonBytes: config.MAX_JSON_MB * 1024 * 1024,
    maxUploadBytes: config.MAX_UPLOAD_MB * 1024 * 1024,
    rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
    clock,
    metricsToken: config.METRICS_TOKEN,
    trustedProxies: config.TRUSTED_PROXIES,
  });
  const jobs = createJobs(
    [
      {
        name: 'daily-backup',
        everyMs: 60 * 60_000, // checks hourly; makes at most one backup a day
        firstAfterMs: 5 * 60_000,
        run: async () => {
          const r = await dailyBackup(db.sqlite, join(config.dataDir, 'backups'), config.dataDir, new Date(clock()), config.BACKUP_RETENTION_DAYS);
          if (r.created || r.removed.length) log.info({ created: r.created, removed: r.removed }, 'daily backup');
        },
      },
      ...ldapSyncJob(config, identity, log),
    ],
    (job, err) => log.error({ job, err }, 'background job failed'),
  );
  const close = () => {
    usage.flush(); // ledger rows recorded in this last turn
    db.close();
  };
  return { app, db, health, identity, license, secrets, jobs, ...models, browser, attachSockets: miners.attachSockets, close };
}
