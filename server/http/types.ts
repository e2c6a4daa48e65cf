import type { HttpBindings } from '@hono/node-server';
import type { RequestIdVariables } from 'hono/request-id';
import type { CallerSession, CallerUser } from '../auth/caller.types.ts';

/**
 * Who is calling: a browser session or an API key. Domain types only: no
 * password, token or key hash ever reaches a route or page. `csrfToken` is the
 * session's anti-forgery value that pages embed in forms; it authenticates nothing alone.
 */
export type Caller =
  | {
      via: 'session';
      user: CallerUser;
      session: CallerSession;
      csrfToken: string;
      /** The MFA policy holds this session to enrolment (server/http/middleware/mfa-enrolment.ts). */
      mfaEnrolmentRequired?: boolean;
    }
  | { via: 'key'; user: CallerUser; keyId: string };

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
