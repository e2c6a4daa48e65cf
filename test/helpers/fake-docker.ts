import { existsSync, mkdirSync } from 'node:fs';
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
 * A fake Docker Engine API on a unix socket in `dir`: answers `/_ping`,
 * `POST /images/load` like dockerd (JSON lines) and the volume calls
 * (each volume a folder under `volumesDir`, by default `dir/volumes`, which
 * the fake docker CLI shares), records every request, and answers a load
 * with an error line when `failLoad` is set.
 */
export async function startFakeDocker(dir: string, options: { failLoad?: string; volumesDir?: string } = {}) {
  const socketPath = join(dir, 'docker.sock');
  const volumesDir = options.volumesDir ?? join(dir, 'volumes');
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
      } else if (req.method === 'GET' && req.url?.startsWith('/volumes/')) {
        const name = decodeURIComponent(req.url.slice('/volumes/'.length));
        if (existsSync(join(volumesDir, name))) res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ Name: name }));
        else res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ message: `get ${name}: no such volume` }));
      } else if (req.method === 'POST' && req.url === '/volumes/create') {
        const { Name } = JSON.parse(body.toString('utf8')) as { Name: string };
        mkdirSync(join(volumesDir, Name), { recursive: true });
        res.writeHead(201, { 'Content-Type': 'application/json' }).end(JSON.stringify({ Name }));
      } else {
        res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ message: 'page not found' }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return { socketPath, volumesDir, requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
