import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Log } from '../server/kernel/log.ts';
import type { OllamaProbe } from './probe.ts';
import type { MinerStatus } from './status.ts';

/** What the health endpoint reports on. */
export interface HealthDeps {
  probe: OllamaProbe;
  status(): MinerStatus;
  connected(): boolean;
}

/** The running health endpoint. */
export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

// States in which the miner cannot do any work whatever Ollama says.
const BROKEN: Partial<Record<MinerStatus, string>> = {
  revoked: 'the server revoked this miner identity; delete the state folder to enroll again',
  failed: 'the miner could not start; see its log',
};

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function handle(req: IncomingMessage, res: ServerResponse, deps: HealthDeps): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (path !== '/health' || (req.method !== 'GET' && req.method !== 'HEAD')) {
    return json(res, 404, { error: { code: 'not_found', message: 'not found; the miner serves only GET /health' } });
  }
  const ollama = await deps.probe.check();
  const status = deps.status();
  const problem = BROKEN[status] ?? (ollama.healthy ? undefined : ollama.problem);
  json(res, problem ? 503 : 200, {
    ok: !problem,
    models: ollama.models.map((m) => m.name),
    backend: 'ollama',
    status,
    connected: deps.connected(),
    ...(problem ? { problem } : {}),
  });
}

/**
 * Starts the health endpoint on `host:port` (0 = any free port): GET
 * `/health` answers 200 with `ok:true` when Ollama is reachable and the
 * miner can work, 503 with a `problem` otherwise; anything else is a JSON 404.
 */
export function startHealthServer(host: string, port: number, deps: HealthDeps, log: Log): Promise<HealthServer> {
  const server = createServer((req, res) => {
    handle(req, res, deps).catch((err: unknown) => {
      log.error({ err }, 'health endpoint failed');
      if (!res.headersSent) json(res, 500, { error: { code: 'internal', message: 'health check failed' } });
    });
  });
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      log.info({ host, port: bound }, 'miner health endpoint listening');
      resolve({
        port: bound,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
