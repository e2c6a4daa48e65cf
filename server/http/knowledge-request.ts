import type { Context } from 'hono';
import type { Reader } from '../knowledge/service.ts';
import { AppError } from '../kernel/errors.ts';
import { idParam } from './knowledge-schemas.ts';
import { callerOf } from './middleware/guards.ts';
import type { AppEnv } from './types.ts';

/*
 * What the knowledge API routes and pages read from a request alike: who
 * asks (as the knowledge service's Reader) and which item (the `:id`).
 */

/** The caller as the knowledge service sees them. */
export const readerOf = (c: Context<AppEnv>): Reader => {
  const { user } = callerOf(c);
  return { id: user.id, role: user.role, label: user.email };
};

/** The numeric `:id` of the path. */
export function pathId(c: Context<AppEnv>): number {
  const r = idParam.safeParse({ id: c.req.param('id') });
  if (!r.success) throw new AppError('not_found', `no such item: ${c.req.param('id')?.slice(0, 40)}`);
  return r.data.id;
}
