import { corkUntilNextTurn } from '../server/kernel/cork.ts';
import WebSocket from 'ws';
import type { Log } from '../server/kernel/log.ts';
import { MAX_FRAME_BYTES, MINER_SOCKET_PATH, parseFrame, serverFrameSchema, type MinerFrame, type ServerFrame } from '../server/kernel/protocol/miner.ts';
import { backoffDelay, RECONNECT_BACKOFF, sleep, type BackoffPolicy } from './backoff.ts';
import { explainClose } from './close-reason.ts';
import { createHeartbeat } from './heartbeat.ts';

/** What the connection needs from the rest of the miner. */
export interface ConnectionDeps {
  serverUrl: string;
  /** `<minerId>.<minerToken>`, sent as the bearer credential. */
  credential: string;
  heartbeatIntervalS: number;
  log: Log;
  /** Builds the hello frame (checks Ollama first); called before each attempt. */
  hello(): Promise<MinerFrame>;
  /** Builds a heartbeat frame (checks Ollama again). */
  heartbeat(): Promise<MinerFrame>;
  onFrame(frame: ServerFrame): void;
  /** The socket closed: running jobs can no longer deliver. */
  onDisconnect(): void;
  /** The server revoked this identity; the connection will not come back. */
  onRevoked(): void;
  backoff?: BackoffPolicy;
}

/** The miner's one WebSocket to the server, reconnected until stopped or revoked. */
export interface Connection {
  /** Sends a frame when connected; false when it could not be sent. */
  send(frame: MinerFrame): boolean;
  connected(): boolean;
  /** Applies the interval the server asked for in its welcome frame. */
  setHeartbeatInterval(seconds: number): void;
  /** Resolves when the connection has ended for good (stopped or revoked). */
  ended: Promise<void>;
  /** Closes with code 1000 and stops reconnecting. */
  close(): Promise<void>;
}

/** A connection that lasted this long counts as healthy: the backoff starts over. */
export const STABLE_CONNECTION_MS = 30_000;

/** The miner WebSocket address for an http(s) server URL. */
export function socketUrl(serverUrl: string): string {
  return `${serverUrl.replace(/^http/i, 'ws').replace(/\/+$/, '')}${MINER_SOCKET_PATH}`;
}

/**
 * Opens the connection and keeps it open: hello on open, heartbeats and a
 * dead-server watchdog while open, and reconnection with exponential
 * backoff and full jitter after a close. Close code 4001 or an HTTP 401 on
 * the upgrade means the identity is revoked, and it stops for good.
 */
export function openConnection(deps: ConnectionDeps): Connection {
  const url = socketUrl(deps.serverUrl);
  const stop = new AbortController();
  let socket: WebSocket | undefined;
  let revoked = false;
  let failures = 0;
  let quiet = false; // after one logged connection error, repeats go to debug until the next open
  let replaced = false;
  const heartbeat = createHeartbeat(deps.heartbeatIntervalS, deps.log, deps.heartbeat, (frame) => send(frame));

  function send(frame: MinerFrame): boolean {
    const ws = socket;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    let text = JSON.stringify(frame);
    if (Buffer.byteLength(text) > MAX_FRAME_BYTES && 'jobId' in frame) {
      // The server would drop the whole connection over one oversized frame.
      deps.log.error({ jobId: frame.jobId, bytes: Buffer.byteLength(text) }, 'result larger than the protocol allows; reporting the job as failed');
      text = JSON.stringify({
        type: 'failed',
        jobId: frame.jobId,
        code: 'internal',
        message: `result exceeds ${MAX_FRAME_BYTES} bytes; send fewer inputs per job`,
      });
    }
    corkUntilNextTurn(ws);
    ws.send(text);
    return true;
  }

  function connectOnce(hello: MinerFrame): Promise<number> {
    return new Promise((resolve) => {
      const ws = new WebSocket(url, {
        headers: { authorization: `Bearer ${deps.credential}` },
        maxPayload: MAX_FRAME_BYTES,
        handshakeTimeout: 10_000,
        // No per-message compression (the server declines it too): frames are small JSON, where deflate only adds latency.
        perMessageDeflate: false,
      });
      socket = ws;
      let openedAt: number | undefined;
      let refusedStatus: number | undefined;
      ws.on('unexpected-response', (_req, res) => {
        refusedStatus = res.statusCode;
        res.resume();
        ws.terminate();
      });
      ws.on('open', () => {
        openedAt = Date.now();
        quiet = false;
        deps.log.info({ url }, 'connected to the server');
        ws.send(JSON.stringify(hello));
        heartbeat.start(ws);
      });
      ws.on('message', (data, isBinary) => {
        heartbeat.seen();
        const frame = isBinary ? undefined : parseFrame(serverFrameSchema, data.toString());
        if (!frame) return void deps.log.warn('dropped a frame from the server that is not a known frame');
        try {
          deps.onFrame(frame);
        } catch (err) {
          deps.log.error({ err, type: frame.type }, 'failed to handle a server frame');
        }
      });
      ws.on('pong', () => heartbeat.seen());
      ws.on('error', (err) => {
        if (refusedStatus !== undefined) return;
        deps.log[quiet ? 'debug' : 'warn']({ url, reason: err.message }, 'server connection error; retrying with backoff');
        quiet = true;
      });
      ws.on('close', (code, reasonBuf) => {
        heartbeat.stop();
        socket = undefined;
        deps.onDisconnect();
        if (stop.signal.aborted) return resolve(0);
        const after = explainClose({ code, reason: reasonBuf.toString(), refusedStatus, opened: openedAt !== undefined }, deps.log);
        if (after === 'revoked') {
          revoked = true;
          deps.onRevoked();
        }
        replaced = after === 'replaced';
        resolve(openedAt === undefined ? 0 : Date.now() - openedAt);
      });
    });
  }

  async function run(): Promise<void> {
    while (!stop.signal.aborted && !revoked) {
      const hello = await deps.hello();
      if (stop.signal.aborted) break;
      const lastedMs = await connectOnce(hello);
      if (stop.signal.aborted || revoked) break;
      if (lastedMs > STABLE_CONNECTION_MS) failures = 0;
      // Replaced by a twin: wait the longest backoff rather than fight over the identity.
      if (replaced) failures = Math.max(failures, 16);
      await sleep(backoffDelay(failures++, deps.backoff ?? RECONNECT_BACKOFF), stop.signal);
    }
  }

  const ended = run();
  return {
    send,
    connected: () => socket?.readyState === WebSocket.OPEN,
    setHeartbeatInterval: (seconds) => heartbeat.setInterval(seconds),
    ended,
    async close() {
      stop.abort();
      const ws = socket;
      if (ws && ws.readyState === WebSocket.OPEN) {
        const closed = new Promise((resolve) => ws.once('close', resolve));
        ws.close(1000, 'miner stopping');
        // A server that never answers the close handshake must not hold the shutdown.
        const timer = setTimeout(() => ws.terminate(), 2_000);
        await closed;
        clearTimeout(timer);
      } else {
        ws?.terminate();
      }
      await ended;
    },
  };
}
