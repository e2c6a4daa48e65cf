import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { secretsEqual } from '../server/kernel/secrets.ts';
import type { Log } from '../server/kernel/log.ts';
import {
  FETCH_ERROR_STATUS,
  MAX_FETCH_BODY_BYTES,
  fetchRequestSchema,
  type BrowserHealth,
  type FetchErrorCode,
  type FetchRequest,
  type FetchResult,
} from '../server/kernel/protocol/browser.ts';
import { BROWSER_ERROR_CODES, isAppError } from '../server/kernel/errors.ts';

/** What the routes call. */
export interface BrowserService {
  fetch(req: FetchRequest): Promise<FetchResult>;
  health(): BrowserHealth;
}

function fail(c: Context, code: FetchErrorCode, message: string, extra?: Record<string, unknown>) {
  return c.json({ error: { code, message, ...extra } }, FETCH_ERROR_STATUS[code] as ContentfulStatusCode);
}

/**
 * The sidecar's HTTP API: `POST /fetch` and `GET /health`, both behind the
 * bearer token (compared in constant time), with a small body cap.
 */
export function createBrowserApp(service: BrowserService, token: string, log: Log): Hono {
  const app = new Hono();

  app.use('*', async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const given = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!secretsEqual(given, token)) {
      c.header('www-authenticate', 'Bearer');
      return fail(c, 'unauthorized', 'a valid Authorization: Bearer BROWSER_SERVICE_AUTH_TOKEN is required');
    }
    await next();
  });

  app.get('/health', (c) => {
    const health = service.health();
    return c.json(health, health.status === 'down' ? 503 : 200);
  });

  app.post(
    '/fetch',
    bodyLimit({ maxSize: MAX_FETCH_BODY_BYTES, onError: (c) => fail(c, 'payload_too_large', `the request body is larger than ${MAX_FETCH_BODY_BYTES} bytes`) }),
    async (c) => {
      const body: unknown = await c.req.json().catch(() => undefined);
      const parsed = fetchRequestSchema.safeParse(body);
      if (!parsed.success) {
        return fail(c, 'validation_failed', 'the body must be JSON: {url, waitMs?, screenshot?, maxBytes?}', {
          issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
        });
      }
      return c.json(await service.fetch(parsed.data));
    },
  );

  app.notFound((c) => c.json({ error: { code: 'not_found', message: 'no such endpoint; the sidecar serves POST /fetch and GET /health' } }, 404));
  app.onError((err, c) => {
    if (isAppError(err, BROWSER_ERROR_CODES)) return fail(c, err.code, err.message, err.details);
    log.error({ err }, 'fetch failed unexpectedly');
    return c.json({ error: { code: 'internal', message: 'the sidecar failed unexpectedly; see its log' } }, 500);
  });
  return app;
}
