// A stand-in for the Onsite server as a miner sees it: POST
// /api/miners/enroll and the /ws/miner WebSocket with the Bearer check.
// Loopback only; restartable on the same port.

import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { MINER_SOCKET_PATH, minerFrameSchema, parseFrame, type MinerFrame, type ServerFrame } from '../../server/kernel/protocol/miner.ts';

/** How the fake server answers enrolment: a status and body, or a function of the request. */
export type EnrollReply = (body: Record<string, unknown>) => { status: number; body: unknown };

/** Settings of {@link startFakeServer}. */
export interface FakeServerOptions {
  /** Status in the welcome frame; default active. */
  welcomeStatus?: 'active' | 'pending' | 'disabled';
  heartbeatIntervalS?: number;
  enroll?: EnrollReply;
}

/** A running fake server. */
export interface FakeServer {
  url: string;
  enrollRequests: Array<Record<string, unknown>>;
  /** Every valid frame received, oldest first, on any connection. */
  frames: MinerFrame[];
  /** Frames that failed the protocol schema. */
  invalidFrames: string[];
  /** Upgrades accepted (connections that got past the Bearer check). */
  connections: number;
  /** Upgrade attempts, accepted or not. */
  upgrades: number;
  /** Close codes of the miner's sockets, as the server saw them. */
  closeCodes: number[];
  /** Authorization headers seen on upgrades. */
  authorizations: string[];
  /** Known credentials (`id.token`); enrolment adds one, tests may add or remove. */
  credentials: Set<string>;
  send(frame: ServerFrame): void;
  /** Closes the current socket with a code. */
  closeSocket(code: number, reason?: string): void;
  connected(): boolean;
  /** Stops reading the current socket: no frames, no pongs, like a hung server or a dead link. */
  freeze(): void;
  waitForFrame<T extends MinerFrame['type']>(
    type: T,
    pred?: (f: Extract<MinerFrame, { type: T }>) => boolean,
    timeoutMs?: number,
  ): Promise<Extract<MinerFrame, { type: T }>>;
  /** Stops (cutting every socket) and listens again on the same port. */
  restart(downMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** A credential the fake server issues, as a real one would (id.token). */
export function issueCredential(): { minerId: string; minerToken: string } {
  return { minerId: `m_${randomBytes(6).toString('hex')}`, minerToken: randomBytes(32).toString('base64url') };
}

/** Starts the fake server on 127.0.0.1. */
export async function startFakeServer(options: FakeServerOptions = {}): Promise<FakeServer> {
  const wss = new WebSocketServer({ noServer: true });
  let current: WebSocket | undefined;
  let currentRaw: Duplex | undefined;
  const self: FakeServer = {
    url: '',
    enrollRequests: [],
    frames: [],
    invalidFrames: [],
    connections: 0,
    upgrades: 0,
    authorizations: [],
    closeCodes: [],
    credentials: new Set(),
    send: (frame) => current?.send(JSON.stringify(frame)),
    closeSocket: (code, reason) => current?.close(code, reason),
    connected: () => current?.readyState === 1,
    freeze: () => void currentRaw?.pause(),
    waitForFrame(type, pred = () => true, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const started = Date.now();
        const poll = () => {
          const hit = self.frames.find((f) => f.type === type && pred(f as never));
          if (hit) return resolve(hit as never);
          if (Date.now() - started > timeoutMs)
            return reject(new Error(`no ${type} frame within ${timeoutMs} ms; got ${self.frames.map((f) => f.type).join(',')}`));
          setTimeout(poll, 10);
        };
        poll();
      });
    },
    restart: async () => undefined,
    close: async () => undefined,
  };

  const enrollReply: EnrollReply =
    options.enroll ??
    ((body) => {
      const issued = issueCredential();
      return { status: 200, body: { ...issued, status: body.registrationToken ? 'pending' : 'active' } };
    });

  function handleEnroll(req: IncomingMessage, res: ServerResponse): void {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const body = JSON.parse(raw || '{}') as Record<string, unknown>;
      self.enrollRequests.push(body);
      const reply = enrollReply(body);
      const answer = reply.body as { minerId?: string; minerToken?: string };
      if (reply.status === 200 && answer.minerId && answer.minerToken) self.credentials.add(`${answer.minerId}.${answer.minerToken}`);
      res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
    });
  }

  function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    self.upgrades++;
    const auth = req.headers.authorization ?? '';
    self.authorizations.push(auth);
    const credential = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    if (req.url !== MINER_SOCKET_PATH || !self.credentials.has(credential)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      self.connections++;
      current = ws;
      currentRaw = socket;
      ws.on('close', (code) => self.closeCodes.push(code));
      ws.on('message', (data) => {
        const frame = parseFrame(minerFrameSchema, data.toString());
        if (!frame) return void self.invalidFrames.push(data.toString());
        self.frames.push(frame);
        if (frame.type === 'hello') {
          ws.send(
            JSON.stringify({
              type: 'welcome',
              minerId: credential.split('.')[0],
              status: options.welcomeStatus ?? 'active',
              heartbeatIntervalS: options.heartbeatIntervalS ?? 1,
            }),
          );
        }
      });
    });
  }

  let server: Server;
  let port = 0;
  const listen = async () => {
    server = createServer((req, res) => {
      if (req.method === 'POST' && req.url === '/api/miners/enroll') return handleEnroll(req, res);
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"not_found","message":"not found"}}');
    });
    server.on('upgrade', handleUpgrade);
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  };
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const ws of wss.clients) ws.terminate();
      current = undefined;
      server.close(() => resolve());
      server.closeAllConnections();
    });

  await listen();
  self.url = `http://127.0.0.1:${port}`;
  self.restart = async (downMs = 100) => {
    await stop();
    await new Promise((r) => setTimeout(r, downMs));
    await listen();
  };
  self.close = async () => {
    await stop();
    wss.close();
  };
  return self;
}
