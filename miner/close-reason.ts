import type { Log } from '../server/kernel/log.ts';
import { CLOSE } from '../server/kernel/protocol/miner.ts';

/** What to do after the socket closed: stop for good, back off long, or simply reconnect. */
export type AfterClose = 'revoked' | 'replaced' | 'reconnect';

/** How a socket ended, as the connection saw it. */
export interface CloseInfo {
  code: number;
  reason: string;
  /** HTTP status when the server refused the upgrade itself. */
  refusedStatus: number | undefined;
  /** Whether the socket had opened before it closed. */
  opened: boolean;
}

/**
 * Decides what a close means and logs it once, in words an operator can
 * act on: 4001 or an HTTP 401 on the upgrade is a revoked identity (never
 * retried with the same token), 4002 a twin using the same state folder,
 * anything else a reason to reconnect.
 */
export function explainClose(info: CloseInfo, log: Log): AfterClose {
  const { code, reason, refusedStatus } = info;
  if (code === CLOSE.revoked || refusedStatus === 401) {
    log.error(
      { code, status: refusedStatus, reason },
      'the server revoked this miner identity (or no longer knows it); not reconnecting. Delete the miner state folder (MINER_STATE_DIR) and restart to enroll again',
    );
    return 'revoked';
  }
  if (code === CLOSE.replaced) {
    log.error('another connection with this miner identity replaced this one; is the state folder shared by two miners?');
    return 'replaced';
  }
  if (code === CLOSE.flooding)
    log.error('the server closed the connection: this identity sent far more heartbeats than it should; is another program using this miner identity?');
  else if (code === CLOSE.badHello) log.error({ reason }, 'the server refused the hello frame; the server and miner versions may not match');
  else if (refusedStatus !== undefined) log.warn({ status: refusedStatus }, `the server refused the WebSocket upgrade (HTTP ${refusedStatus}); retrying`);
  else if (info.opened) log.warn({ code, reason }, 'server connection closed; reconnecting');
  return 'reconnect';
}
