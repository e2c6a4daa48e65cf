import { createServer } from 'node:http';
import { join } from 'node:path';

/** One request the fake Docker Engine received. */
export interface DockerRequest {
  method: string;
  url: string;
  contentType: string | undefined;
  body: Buffer;
}

/**
 * A fake Docker Engine API on a unix socket in `dir`: answers `/_ping` and
 * `POST /images/load` like dockerd (JSON lines), records every request, and
 * answers a load with an error line when `failLoad` is set.
 */
export async function startFakeDocker(dir: string, options: { failLoad?: string } = {}) {
  const socketPath = join(dir, 'docker.sock');
  const requests: DockerRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method!, url: req.url!, contentType: req.headers['content-type'], body });
      if (req.url === '/_ping') {
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end('OK');
      } else if (req.method === 'POST' && req.url?.startsWith('/images/load')) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        if (options.failLoad) res.end(`${JSON.stringify({ errorDetail: { message: options.failLoad }, error: options.failLoad })}\n`);
        else res.end(`${JSON.stringify({ stream: `Loaded image: test/image-${requests.length}:1.0\n` })}\n`);
      } else {
        res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ message: 'page not found' }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return { socketPath, requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
