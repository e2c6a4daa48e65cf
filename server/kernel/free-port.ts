import { createServer } from 'node:net';

/**
 * Finds a free TCP port on 127.0.0.1, for a process whose address must be
 * known before it starts (PORT=0 would only tell afterwards). Another
 * process may take it in between; callers that cannot retry accept that.
 */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
