import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { addressMatcher } from '../lib/address-ranges.ts';
import type { Log } from '../lib/log.ts';
import type { LiveMiner, Registry } from '../miners/registry.ts';
import type { MinerService } from '../miners/service.ts';
import { CLOSE, MAX_FRAME_BYTES, MINER_SOCKET_PATH, PROTOCOL_VERSION, minerFrameSchema, parseFrame, type ServerFrame } from '../protocol/miner.ts';
import { incomingClientAddress } from './client-address.ts';

/** How long a new connection has to send its hello frame. */
const HELLO_TIMEOUT_MS = 10_000;

function refuse(socket: Duplex, status: number, text: string) {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
}

/**
 * Serves the miner WebSocket (`/ws/miner`) on an HTTP server. The miner's
 * `<id>.<token>` credential is checked before the upgrade (401 otherwise);
 * the first frame must be `hello`. Frames that fail their schema are
 * dropped and logged; pings find dead peers between heartbeats.
 */
export function attachMinerSocket(server: Server, deps: { service: MinerService; registry: Registry; log: Log; trustedProxies?: readonly string[] }) {
  const { service, registry, log } = deps;
  const trusted = addressMatcher(deps.trustedProxies ?? []);
  // No per-message compression: frames are small JSON (a token each), where deflate only adds latency.
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });

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

    ws.on('message', (data, isBinary) => {
      alive = true;
      const frame = isBinary ? undefined : parseFrame(minerFrameSchema, data.toString());
      if (!frame) return log.warn({ minerId }, 'dropped an invalid frame from a miner');
      if (!live) {
        if (frame.type !== 'hello' || Math.floor(frame.protocol) !== PROTOCOL_VERSION) return ws.close(CLOSE.badHello, `expected hello with protocol ${PROTOCOL_VERSION}`);
        clearTimeout(helloTimer);
        const row = service.get(minerId);
        if (!row || row.status === 'revoked') return ws.close(CLOSE.revoked, 'revoked');
        live = registry.connect({ id: minerId, workerId: row.workerId, status: row.status, hello: frame, send, close: (code, reason) => ws.close(code, reason) });
        send({ type: 'welcome', minerId, status: row.status, heartbeatIntervalS: registry.heartbeatIntervalS });
        service.noteSeen(minerId, { version: frame.version, models: frame.models, address });
        log.info({ minerId, workerId: row.workerId, status: row.status, models: frame.models.map((m) => m.name), capacity: frame.capacity }, 'miner connected');
        return;
      }
      registry.receive(live, frame);
      if (frame.type === 'heartbeat') service.noteSeen(minerId, { models: frame.models });
    });

    ws.on('close', (code) => {
      clearTimeout(helloTimer);
      clearInterval(pinger);
      if (live) {
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
      registry.closeAll(CLOSE.shutdown, 'server shutting down');
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}
