import type { HttpBindings } from '@hono/node-server';
import type { RequestIdVariables } from 'hono/request-id';
import type { Session } from '../auth/sessions-store.ts';
import type { User } from '../auth/users-store.ts';

/** Who is calling: a browser session or an API key. */
export type Caller =
  | { via: 'session'; user: User; session: Session; csrfToken: string }
  | { via: 'key'; user: User; keyId: string };

/** Hono environment shared by every route: node bindings and per-request variables. */
export type AppEnv = {
  Bindings: HttpBindings;
  Variables: RequestIdVariables & {
    caller?: Caller;
    /** Address of the client: the socket peer, or X-Forwarded-For's through TRUSTED_PROXIES (for audit, sessions and throttling). */
    ip?: string;
    /** Address of the socket peer itself, never a header (for loopback checks). */
    peer?: string;
  };
};
