import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit as countingBodyLimit } from 'hono/body-limit';
import type { AppEnv } from '../types.ts';

/**
 * Refuses request bodies larger than `maxSize` bytes, like hono's
 * `bodyLimit`, which it uses for bodies of unknown length (chunked), where
 * the bytes must be counted as they arrive. A body that declares its
 * length is judged by `Content-Length` alone (Node's parser never delivers
 * more than that), and without reading `c.req.raw.body`: on Node, touching
 * it turns the adapter's lightweight request into a full `Request` with a
 * stream body, which every request then pays for, and the JSON read after
 * it too.
 */
export function bodyLimit(options: { maxSize: number; onError: (c: Context<AppEnv>) => Response | Promise<Response> }): MiddlewareHandler<AppEnv> {
  const counting = countingBodyLimit(options);
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next(); // never given a body
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
      return Number.parseInt(length, 10) > options.maxSize ? options.onError(c) : next();
    }
    return counting(c, next);
  };
}
