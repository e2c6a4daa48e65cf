import { z } from 'zod';

// Sidecar answers are checked, not trusted: a wrong shape means a wrong service at that address.
/** `POST /fetch` reply, with defaults for the fields the server does not rely on. */
export const fetchResultSchema = z.object({
  url: z.string(),
  finalUrl: z.string(),
  status: z.number(),
  title: z.string(),
  text: z.string(),
  textTruncated: z.boolean().default(false),
  links: z.array(z.object({ url: z.string(), text: z.string() })).default([]),
  blocked: z.array(z.object({ url: z.string(), code: z.string(), reason: z.string() })).default([]),
  bytes: z.number().default(0),
  screenshot: z.string().optional(),
  elapsedMs: z.number().default(0),
});
/** `GET /health` reply. */
export const healthSchema = z.object({
  status: z.enum(['ok', 'degraded', 'down']),
  version: z.string().default('unknown'),
  pool: z.object({
    size: z.number(),
    alive: z.number(),
    maxSessions: z.number(),
    active: z.number(),
    waiting: z.number(),
    launched: z.number().default(0),
    replaced: z.number().default(0),
    served: z.number().default(0),
  }),
});
