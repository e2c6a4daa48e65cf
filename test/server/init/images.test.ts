import { createServer } from 'node:http';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAppError } from '../../../server/kernel/errors.ts';
import { loadImage } from '../../../server/init/images/docker-api.ts';
import { imageTarballs, loadImages } from '../../../server/init/images/load.ts';
import { tempDir } from '../../helpers/env.ts';
import { startFakeDocker } from '../../helpers/fake-docker.ts';

const tmp = tempDir('onsite-images-');
afterAll(tmp.cleanup);
let n = 0;
const dir = () => {
  const d = join(tmp.dir, `t${++n}`);
  mkdirSync(join(d, 'images'), { recursive: true });
  return d;
};

describe('loading image tarballs through the Docker Engine API', () => {
  it('streams every tarball to POST /images/load and reports what was loaded', async () => {
    const bundle = dir();
    writeFileSync(join(bundle, 'images/onsite-0.1.0.tar'), Buffer.alloc(3_000_000, 7));
    writeFileSync(join(bundle, 'images/ollama.tar.gz'), 'gz');
    writeFileSync(join(bundle, 'images/README.txt'), 'not an image');
    expect(await imageTarballs(bundle)).toEqual(['images/ollama.tar.gz', 'images/onsite-0.1.0.tar']);
    const docker = await startFakeDocker(bundle);
    try {
      const loaded = await loadImages(bundle, docker.socketPath);
      expect(loaded).toEqual([
        { file: 'images/ollama.tar.gz', images: ['test/image-2:1.0'] },
        { file: 'images/onsite-0.1.0.tar', images: ['test/image-3:1.0'] },
      ]);
    } finally {
      await docker.close();
    }
    expect(docker.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /_ping', 'POST /images/load?quiet=1', 'POST /images/load?quiet=1']);
    expect(docker.requests[2]!.contentType).toBe('application/x-tar');
    expect(docker.requests[2]!.body.equals(readFileSync(join(bundle, 'images/onsite-0.1.0.tar')))).toBe(true);
  });

  it('an error line from the engine stops init, naming the file', async () => {
    const bundle = dir();
    writeFileSync(join(bundle, 'images/onsite-0.1.0.tar'), 'not really a tarball');
    const docker = await startFakeDocker(bundle, { failLoad: 'unexpected EOF' });
    try {
      await expect(loadImages(bundle, docker.socketPath)).rejects.toSatisfy(
        (e) => isAppError(e, 'docker_failed') && /docker could not load images\/onsite-0\.1\.0\.tar: unexpected EOF/.test((e as Error).message),
      );
    } finally {
      await docker.close();
    }
  });

  it('a refused request (HTTP error with a message) is reported', async () => {
    const bundle = dir();
    const file = join(bundle, 'images/x.tar');
    writeFileSync(file, 'x');
    const socketPath = join(bundle, 'refusing.sock');
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(500, { 'Content-Type': 'application/json' }).end(JSON.stringify({ message: 'no space left on device' })));
    });
    await new Promise<void>((r) => server.listen(socketPath, r));
    try {
      await expect(loadImage(socketPath, file, 'images/x.tar')).rejects.toThrow(/images\/x\.tar: no space left on device/);
    } finally {
      server.close();
    }
  });

  it('no engine at the socket: a clear message with the way out', async () => {
    const bundle = dir();
    writeFileSync(join(bundle, 'images/x.tar'), 'x');
    await expect(loadImages(bundle, join(bundle, 'absent.sock'))).rejects.toSatisfy(
      (e) => isAppError(e, 'docker_failed') && /cannot reach the Docker Engine at .*absent\.sock \(ENOENT\).*--skip-images/.test((e as Error).message),
    );
  });

  it('a bundle without images asks nothing of the engine', async () => {
    expect(await loadImages(join(tmp.dir, 'none'), join(tmp.dir, 'absent.sock'))).toEqual([]);
  });
});
