import type { HttpBindings } from '@hono/node-server';
import type { RequestIdVariables } from 'hono/request-id';

/** Hono environment shared by every route: node bindings and per-request variables. */
export type AppEnv = {
  Bindings: HttpBindings;
  Variables: RequestIdVariables;
};
