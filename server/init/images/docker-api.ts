// A minimal Docker Engine API client over the unix socket: the init image
// has no docker CLI, and init needs only a few calls.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { request } from 'node:http';
import { AppError } from '../../kernel/errors.ts';

/** Where the Docker Engine listens by default (mounted into the init container by scripts/init.sh). */
export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

interface Reply {
  status: number;
  text: string;
}

function connectionError(socketPath: string, err: NodeJS.ErrnoException): AppError {
  if (err.code === 'EACCES')
    return new AppError(
      'docker_failed',
      `cannot use the Docker Engine socket ${socketPath}: permission denied (run init as root or as a member of the docker group)`,
    );
  if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') {
    return new AppError(
      'docker_failed',
      `cannot reach the Docker Engine at ${socketPath} (${err.code}): is the socket mounted (scripts/init.sh mounts it) and the engine running? --skip-images skips this step`,
    );
  }
  return new AppError('docker_failed', `the Docker Engine at ${socketPath} broke off the request (${err.code ?? err.message})`);
}

function call(socketPath: string, method: string, path: string, body?: { file: string; size: number } | { json: unknown }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const json = body && 'json' in body ? Buffer.from(JSON.stringify(body.json)) : undefined;
    const headers: Record<string, string | number> = json
      ? { 'Content-Type': 'application/json', 'Content-Length': json.length }
      : body && 'file' in body
        ? { 'Content-Type': 'application/x-tar', 'Content-Length': body.size }
        : {};
    const req = request({ socketPath, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (err) => reject(connectionError(socketPath, err)));
    });
    req.on('error', (err: NodeJS.ErrnoException) => reject(connectionError(socketPath, err)));
    if (!body || 'json' in body) {
      req.end(json);
      return;
    }
    const source = createReadStream(body.file);
    source.on('error', (err) => req.destroy(err));
    source.pipe(req);
  });
}

// Errors come as {"message": …} on a refused request, or, once the load
// has started with a 200, as {"error": …, "errorDetail": {…}} lines.
function errorIn(reply: Reply): string | undefined {
  const lines = reply.text.split('\n').filter((l) => l.trim());
  for (const line of lines) {
    try {
      const msg = JSON.parse(line) as { message?: string; error?: string; errorDetail?: { message?: string } };
      const text = msg.errorDetail?.message ?? msg.error ?? (reply.status >= 400 ? msg.message : undefined);
      if (text) return text;
    } catch {
      if (reply.status >= 400) return line.trim();
    }
  }
  return reply.status >= 400 || reply.status < 200 ? `HTTP ${reply.status}` : undefined;
}

/** Checks that the Docker Engine answers at `socketPath`; throws {@link AppError} `docker_failed` otherwise. */
export async function pingDocker(socketPath: string): Promise<void> {
  const reply = await call(socketPath, 'GET', '/_ping');
  if (reply.status !== 200) throw new AppError('docker_failed', `the Docker Engine at ${socketPath} answered HTTP ${reply.status} to a ping`);
}

/**
 * Loads one image tarball (`docker load -i`) by streaming it to
 * `POST /images/load`. Returns what the engine reports as loaded (image
 * names or IDs); throws {@link AppError} `docker_failed` naming the file.
 */
export async function loadImage(socketPath: string, file: string, label = file): Promise<string[]> {
  const { size } = await stat(file);
  const reply = await call(socketPath, 'POST', '/images/load?quiet=1', { file, size });
  const problem = errorIn(reply);
  if (problem) throw new AppError('docker_failed', `docker could not load ${label}: ${problem}`);
  const loaded: string[] = [];
  for (const line of reply.text.split('\n')) {
    try {
      const m = /Loaded image(?: ID)?: (\S+)/.exec((JSON.parse(line) as { stream?: string }).stream ?? '');
      if (m) loaded.push(m[1]!);
    } catch {
      // not a JSON line: nothing to report
    }
  }
  return loaded;
}

/** Tells whether the engine holds a volume of that name (`docker volume inspect`). */
export async function volumeExists(socketPath: string, name: string): Promise<boolean> {
  const reply = await call(socketPath, 'GET', `/volumes/${encodeURIComponent(name)}`);
  if (reply.status === 404) return false;
  const problem = errorIn(reply);
  if (problem) throw new AppError('docker_failed', `the Docker Engine could not look up volume ${name}: ${problem}`);
  return true;
}

/** Creates a named volume with labels (`docker volume create`); an existing one is kept as it is. */
export async function createVolume(socketPath: string, name: string, labels: Record<string, string>): Promise<void> {
  const reply = await call(socketPath, 'POST', '/volumes/create', { json: { Name: name, Labels: labels } });
  const problem = errorIn(reply);
  if (problem) throw new AppError('docker_failed', `the Docker Engine could not create volume ${name}: ${problem}`);
}
