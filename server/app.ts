import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import type { Identity } from './auth/identity.service.ts';
import type { BrowserMonitor } from './browser-client/browser-status.service.ts';
import { addressMatcher } from './kernel/address-ranges.ts';
import { isAppError } from './kernel/errors.ts';
import type { HealthService } from './kernel/health.ts';
import type { LicenseService } from './license/license.service.ts';
import type { ModelBackend } from './backend/backend.types.ts';
import type { Engine } from './chat/engine.service.ts';
import type { ChatService } from './chat/chat.service.ts';
import type { Registry } from './miners/registry.service.ts';
import type { MinerService } from './miners/miners.service.ts';
import type { ModelService } from './models/models.service.ts';
import type { UsageService } from './usage/usage.service.ts';
import type { KnowledgeService } from './knowledge/collections.service.ts';
import type { Retrieval } from './knowledge/search.service.ts';
import type { Grounding } from './chat/knowledge-prompt.ts';
import type { KnowledgeStatus } from './knowledge/status.service.ts';
import type { Log } from './kernel/log.ts';
import { uiRoutes } from './ui/routes.tsx';
import { notFoundPage, wantsPage } from './ui/error.page.tsx';
import { clientAddresses } from './http/client-address.ts';
import { errorBody, errorResponse, setRetryAfter, statusOf } from './http/errors.ts';
import type { HostPolicy } from './http/hosts.ts';
import type { Metrics } from './http/metrics.ts';
import { accessLog } from './http/middleware/access-log.ts';
import { bodyLimit } from './http/middleware/body-limit.ts';
import { csrf } from './http/middleware/csrf.ts';
import { hostCheck } from './http/middleware/host-check.ts';
import { identify } from './http/middleware/identity.ts';
import { licenseGate } from './http/middleware/license-gate.ts';
import { mfaEnrolmentGate } from './http/middleware/mfa-enrolment.ts';
import { rateLimit } from './http/middleware/rate-limit.ts';
import { streamStart } from './http/middleware/stream-start.ts';
import { auditRoutes } from './audit/audit.routes.ts';
import { authRoutes } from './auth/auth.routes.ts';
import { keysRoutes } from './auth/keys.routes.ts';
import { mfaRoutes } from './auth/mfa.routes.ts';
import { licenseRoutes } from './license/license.routes.ts';
import { setupRoutes } from './auth/setup.routes.ts';
import { usersRoutes } from './auth/users.routes.ts';
import { identitiesRoutes } from './auth/identities.routes.ts';
import { groupsRoutes } from './groups/groups.routes.ts';
import type { GroupsService } from './groups/groups.service.ts';
import { chatRoutes } from './chat/chat.routes.ts';
import { minersRoutes } from './miners/miners.routes.ts';
import { modelsRoutes } from './models/models.routes.ts';
import { openaiRoutes } from './chat/openai.routes.ts';
import { usageRoutes } from './usage/usage.routes.ts';
import { collectionsRoutes } from './knowledge/collections.routes.ts';
import { documentsRoutes } from './knowledge/documents.routes.ts';
import { searchRoutes } from './knowledge/search.routes.ts';
import { healthRoutes } from './system/health.routes.ts';
import { metricsRoutes } from './system/metrics.routes.ts';
import type { AppEnv } from './http/types.ts';

/** The model side's services the routes call, one per feature. */
export interface ModelDeps {
  miners: MinerService;
  registry: Registry;
  catalog: ModelService;
  backend: ModelBackend;
  chat: ChatService;
  usage: UsageService;
  engine: Engine;
  /** Groups of users and who may use which model. */
  groups: GroupsService;
  knowledge: {
    service: KnowledgeService;
    retrieval: Retrieval;
    grounding: Grounding;
    status: () => KnowledgeStatus;
  };
}

/** Everything the HTTP app needs, built by the composition root (cli/assemble.ts). */
export interface AppDeps extends ModelDeps {
  log: Log;
  metrics: Metrics;
  health: HealthService;
  identity: Identity;
  license: LicenseService;
  /** The browser sidecar's status, for the admin system page. */
  browser: BrowserMonitor;
  version: string;
  baseUrl: string;
  /** The names this server answers to and the origins it accepts (APP_BASE_URL, ALLOWED_HOSTS). */
  hosts: HostPolicy;
  maxJsonBytes: number;
  /** Cap of one document upload request (MAX_UPLOAD_MB). */
  maxUploadBytes: number;
  rateLimitPerMinute: number;
  clock: () => number;
  metricsToken?: string | undefined;
  /** Proxies whose X-Forwarded-For is believed (TRUSTED_PROXIES); none when absent. */
  trustedProxies?: readonly string[];
}

// Strict by default: our own origin only, no inline script, no framing.
const CSP = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

/** Builds the HTTP application: global middleware, then each resource mounted. */
export function createApp(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  const log = deps.log.child({ module: 'http' });

  app.use(requestId({ limitLength: 64 }));
  app.use(clientAddresses(addressMatcher(deps.trustedProxies ?? [])));
  app.use(accessLog(log, deps.metrics));
  app.use(streamStart);
  app.use(
    secureHeaders({
      // Signing out of an OpenID Connect session redirects the sign-out form to the provider's end-session endpoint.
      contentSecurityPolicy: deps.identity.oidc ? { ...CSP, formAction: ["'self'", deps.identity.oidc.providerOrigin] } : CSP,
      xFrameOptions: 'DENY',
      // same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on form posts,
      // which the CSRF check must refuse. Nothing leaks to other sites either way.
      referrerPolicy: 'same-origin',
      crossOriginResourcePolicy: 'same-origin',
      crossOriginOpenerPolicy: 'same-origin',
      permissionsPolicy: { camera: [], microphone: [], geolocation: [] },
    }),
  );
  app.use(hostCheck(deps.hosts));
  // Document uploads have their own cap (MAX_UPLOAD_MB, plus room for the multipart framing); every other body MAX_JSON_MB.
  const jsonLimit = bodyLimit({
    maxSize: deps.maxJsonBytes,
    onError: (c) => errorResponse(c, 'payload_too_large', `request body is larger than ${deps.maxJsonBytes} bytes`),
  });
  const uploadLimit = bodyLimit({
    maxSize: deps.maxUploadBytes + 64 * 1024,
    onError: (c) => errorResponse(c, 'payload_too_large', `the upload is larger than ${Math.round(deps.maxUploadBytes / 1048576)} MB (MAX_UPLOAD_MB)`),
  });
  const UPLOAD_PATH = /^\/api\/collections\/[^/]+\/documents\/?$/;
  app.use((c, next) => (c.req.method === 'POST' && UPLOAD_PATH.test(c.req.path) ? uploadLimit(c, next) : jsonLimit(c, next)));

  app.route('/health', healthRoutes(deps.health, { identity: deps.identity, metricsToken: deps.metricsToken }));
  app.route('/metrics', metricsRoutes(deps.metrics, deps.metricsToken));

  app.use(identify(deps.identity));
  // One budget per caller across the API and the sign-in and setup forms.
  const limit = rateLimit(deps.rateLimitPerMinute, deps.clock);
  app.use('/api/*', limit);
  app.use('/v1/*', limit);
  app.on('POST', ['/login', '/login/mfa', '/setup'], limit);
  app.use(csrf(deps.identity, deps.hosts.origins));
  app.use(mfaEnrolmentGate);
  app.use(licenseGate(deps.license));
  app.route('/api/setup', setupRoutes(deps.identity));
  app.route('/api/auth/mfa', mfaRoutes(deps.identity));
  app.route('/api/auth', authRoutes(deps.identity));
  app.route('/api/groups', groupsRoutes(deps.groups, deps.catalog));
  app.route('/api/users', identitiesRoutes(deps.identity));
  app.route('/api/users', usersRoutes(deps.identity));
  app.route('/api/keys', keysRoutes(deps.identity));
  app.route('/api/audit', auditRoutes(deps.identity.audit));
  app.route('/api/license', licenseRoutes(deps.license));
  const m = deps;
  app.route('/api/miners', minersRoutes(m.miners, m.registry));
  app.route('/api/models', modelsRoutes(m.catalog, m.backend));
  app.route('/api/conversations', chatRoutes(m.chat));
  app.route('/api/usage', usageRoutes(m.usage));
  app.route('/api/collections', collectionsRoutes(m.knowledge.service));
  app.route('/api/documents', documentsRoutes(m.knowledge.service));
  app.route('/api/search', searchRoutes(m.knowledge.retrieval));
  app.route('/v1', openaiRoutes(m.engine, m.catalog, deps.clock, m.knowledge.grounding));
  app.route(
    '/',
    uiRoutes({
      version: deps.version,
      health: deps.health,
      identity: deps.identity,
      license: deps.license,
      browser: deps.browser,
      chat: m.chat,
      catalog: m.catalog,
      miners: m.miners,
      registry: m.registry,
      usage: m.usage,
      backend: m.backend,
      groups: m.groups,
      knowledge: m.knowledge,
      baseUrl: deps.baseUrl,
    }),
  );

  // A browser gets a page with the site's layout; programs keep the JSON error.
  app.notFound((c) => (wantsPage(c) ? notFoundPage(c) : c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`), 404)));
  app.onError((err, c) => {
    if (isAppError(err)) {
      const retryAfter = setRetryAfter(c, err);
      if (retryAfter === undefined && err.code === 'rate_limited') c.header('retry-after', '900');
      // A wait says how long and which counter (`account` or `address`) holds the client back.
      const wait = retryAfter !== undefined ? { retryAfter, ...(typeof err.details?.scope === 'string' ? { scope: err.details.scope } : {}) } : undefined;
      return c.json(errorBody(err.code, err.message, wait), statusOf(err.code));
    }
    if (err instanceof HTTPException && err.status < 500) {
      return c.json(errorBody(err.status === 413 ? 'payload_too_large' : 'bad_request', err.message || 'bad request'), err.status);
    }
    log.error({ reqId: c.get('requestId'), err }, 'unhandled error');
    return c.json(errorBody('internal', `internal error (request ${c.get('requestId')})`), 500);
  });
  return app;
}

/** The application type, for typed tests and clients. */
export type App = ReturnType<typeof createApp>;
