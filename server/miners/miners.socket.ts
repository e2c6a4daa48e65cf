import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { addressMatcher } from '../kernel/address-ranges.ts';
import type { Clock } from '../kernel/clock.ts';
import type { Log } from '../kernel/log.ts';
import { createTokenBucket } from '../kernel/token-bucket.ts';
import type { LiveMiner, Registry } from './registry.service.ts';
import type { MinerService } from './miners.service.ts';
import {
  CLOSE,
  MAX_FRAME_BYTES,
  MAX_HEARTBEAT_BYTES,
  MINER_SOCKET_PATH,
  PROTOCOL_VERSION,
  minerFrameSchema,
  parseFrame,
  type ServerFrame,
} from '../kernel/protocol/miner.ts';
import { incomingClientAddress } from '../http/client-address.ts';

/** How long a new connection has to send its hello frame. */
const HELLO_TIMEOUT_MS = 10_000;

/** Heartbeats a miner may send at once; after that two per heartbeat interval (an honest miner sends one). */
export const HEARTBEAT_BURST = 5;

/** Heartbeats dropped on one connection (over the rate or the size limit) before it is closed with {@link CLOSE.flooding}. */
export const HEARTBEAT_FLOOD_LIMIT = 20;

/** How long a flooding miner's socket may take to answer the close before it is cut. */
const FLOOD_CLOSE_GRACE_MS = 1_000;

function refuse(socket: Duplex, status: number, text: string) {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
}

/**
 * Serves the miner WebSocket (`/ws/miner`) on an HTTP server. The miner's
 * `<id>.<token>` credential is checked before the upgrade (401 otherwise);
 * the first frame must be `hello`. Frames that fail their schema are
 * dropped and logged; pings find dead peers between heartbeats.
 * Heartbeats are rate-limited per connection (a token bucket) and bounded
 * in size; excess ones are dropped unread, and a connection that keeps
 * sending them is closed with {@link CLOSE.flooding} and audited.
 */
export function attachMinerSocket(
  server: Server,
  deps: { service: MinerService; registry: Registry; log: Log; clock: Clock; trustedProxies?: readonly string[] },
) {
  const { service, registry, log } = deps;
  const trusted = addressMatcher(deps.trustedProxies ?? []);
  // No per-message compression: frames are small JSON (a token each), where deflate only adds latency.
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
  let shutDown = false;

  function serve(ws: WebSocket, minerId: string, address: string | undefined) {
    let live: LiveMiner | undefined;
    let alive = true;
    const send = (frame: ServerFrame) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
    };
    const helloTimer = setTimeout(() => ws.close(CLOSE.badHello, 'no hello'), HELLO_TIMEOUT_MS);
    const pinger = setInterval(() => {
      if (!alive) return ws.terminate();
      alive = false;
      ws.ping();
    }, registry.heartbeatIntervalS * 1000);
    ws.on('pong', () => (alive = true));
    const beats = createTokenBucket(HEARTBEAT_BURST, 2 / registry.heartbeatIntervalS, deps.clock);
    let dropped = 0;
    let flooding = false;
    // An excess heartbeat changes nothing: not the registry, not the database.
    const dropHeartbeat = (bytes: number) => {
      dropped += 1;
      if (dropped === 1) log.warn({ minerId, bytes }, 'dropped a heartbeat over the rate or size limit');
      if (dropped < HEARTBEAT_FLOOD_LIMIT) return;
      flooding = true;
      log.warn({ minerId, dropped, address }, 'miner flooded the server with heartbeats; closing its connection');
      service.noteFlood(minerId, dropped, address);
      ws.close(CLOSE.flooding, 'too many heartbeats');
      // Stop reading what is still queued behind (the close frame still goes out), and do not wait for the peer's answer long.
      ws.pause();
      setTimeout(() => ws.terminate(), FLOOD_CLOSE_GRACE_MS).unref();
    };

    ws.on('message', (data, isBinary) => {
      if (flooding) return; // frames still arriving from a connection being closed are not even parsed
      alive = true;
      const frame = isBinary ? undefined : parseFrame(minerFrameSchema, data.toString());
      if (!frame) return log.warn({ minerId }, 'dropped an invalid frame from a miner');
      if (!live) {
        if (frame.type !== 'hello' || Math.floor(frame.protocol) !== PROTOCOL_VERSION)
          return ws.close(CLOSE.badHello, `expected hello with protocol ${PROTOCOL_VERSION}`);
        clearTimeout(helloTimer);
        const row = service.get(minerId);
        if (!row || row.status === 'revoked') return ws.close(CLOSE.revoked, 'revoked');
        live = registry.connect({
          id: minerId,
          workerId: row.workerId,
          status: row.status,
          hello: frame,
          send,
          close: (code, reason) => ws.close(code, reason),
        });
        send({ type: 'welcome', minerId, status: row.status, heartbeatIntervalS: registry.heartbeatIntervalS });
        service.noteSeen(minerId, { version: frame.version, models: frame.models, address });
        log.info({ minerId, workerId: row.workerId, status: row.status, models: frame.models.map((m) => m.name), capacity: frame.capacity }, 'miner connected');
        return;
      }
      if (frame.type === 'heartbeat') {
        const bytes = (data as Buffer).length;
        if (bytes > MAX_HEARTBEAT_BYTES || !beats.take()) return dropHeartbeat(bytes);
        service.noteSeen(minerId, { models: frame.models });
      }
      registry.receive(live, frame);
    });

    ws.on('close', (code) => {
      clearTimeout(helloTimer);
      clearInterval(pinger);
      if (live) {
        if (!shutDown) service.flushSeen(minerId); // at shutdown close() wrote it, and the database may be closed by now
        registry.disconnect(live);
        log.info({ minerId, code }, 'miner disconnected');
      }
    });
    ws.on('error', (err) => log.warn({ minerId, err: err.message }, 'miner socket error'));
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== MINER_SOCKET_PATH) return refuse(socket, 404, 'Not Found');
    const auth = req.headers.authorization;
    const row = auth?.startsWith('Bearer ') ? service.authenticate(auth.slice(7).trim()) : undefined;
    const address = incomingClientAddress(req, trusted);
    if (!row) {
      log.warn({ address }, 'miner connection refused: bad or revoked credential');
      return refuse(socket, 401, 'Unauthorized');
    }
    wss.handleUpgrade(req, socket, head, (ws) => serve(ws, row.id, address));
  });

  return {
    /** Closes every miner connection (shutdown); miners reconnect to the next server. */
    close(): void {
      shutDown = true;
      for (const m of registry.all()) service.flushSeen(m.id);
      registry.closeAll(CLOSE.shutdown, 'server shutting down');
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}
