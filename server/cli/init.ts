import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Keyring } from '../../licenses/activation-code.ts';
import type { Env } from '../config.ts';
import { compiledBundleKeyring } from '../init/bundle/keyring.ts';
import { INIT_ERROR_CODES, isAppError } from '../kernel/errors.ts';
import type { Owner } from '../init/files.ts';
import { DEFAULT_DOCKER_SOCKET } from '../init/images/docker-api.ts';
import { runInit } from '../init/run.ts';
import { SERVER_GID } from '../init/tls/ensure.ts';
import { VERSION } from '../version.ts';
import type { Command, CommandIo } from './command.ts';

/** The usage lines of `onsite init`. */
export const INIT_USAGE = `usage: onsite init [--bundle DIR] [--ollama-dir DIR] [--docker-socket PATH] [--skip-images | --images-only] [--adopt-existing] [--host NAME]... [--server-gid GID]
  --bundle DIR          the extracted release bundle (default: the current folder); .env and tls/ go here
  --ollama-dir DIR      the ollama volume, to import the bundle's models into DIR/models (skipped when absent)
  --docker-socket PATH  the Docker Engine socket (default: ${DEFAULT_DOCKER_SOCKET})
  --skip-images         do not load images/*.tar (already loaded)
  --images-only         only verify the bundle, load its images and import its models: no .env, no tls/,
                        nothing written into the bundle folder (scripts/update.sh, with a new bundle)
  --adopt-existing      keep the .env and tls/ already in DIR (restored from a backup) and record them as init's;
                        without it, a .env or tls/ that init has no record of writing stops init
  --host NAME           another host name or IP address users open: in the TLS certificate and ALLOWED_HOSTS (repeatable)
  --server-gid GID      the server container's group, which may read tls/server.key (default as root: ${SERVER_GID})
HOST_UID and HOST_GID, when set, own .env and tls/ (init runs as root in a container).`;

// HOST_UID/HOST_GID come from scripts/init.sh (`id -u`, `id -g`): files made
// by the container's root must belong to the operator who extracted the bundle.
function ownerFrom(env: Env): Owner | undefined {
  const { HOST_UID: uid, HOST_GID: gid } = env;
  if (!uid && !gid) return undefined;
  const id = (v: string | undefined, name: string) => {
    if (!v || !/^\d{1,10}$/.test(v)) throw new Error(`${name} must be a numeric id (got "${v ?? ''}")`);
    return Number(v);
  };
  return { uid: id(uid, 'HOST_UID'), gid: id(gid ?? uid, 'HOST_GID') };
}

/**
 * `onsite init`: parses its options and runs init; returns the exit code.
 * `keyring` is the compiled-in one; tests that drive the operator scripts
 * pass their own.
 */
export async function runInitCommand(args: string[], env: Env, { out, err }: CommandIo, keyring: Keyring = compiledBundleKeyring()): Promise<number> {
  let values;
  let owner: Owner | undefined;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        bundle: { type: 'string' },
        'ollama-dir': { type: 'string' },
        'docker-socket': { type: 'string', default: DEFAULT_DOCKER_SOCKET },
        'skip-images': { type: 'boolean', default: false },
        'images-only': { type: 'boolean', default: false },
        'adopt-existing': { type: 'boolean', default: false },
        host: { type: 'string', multiple: true, default: [] },
        'server-gid': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
    owner = ownerFrom(env);
    if (values['images-only'] && values['skip-images']) throw new Error('--images-only and --skip-images exclude each other');
    if (values['images-only'] && values['adopt-existing']) throw new Error('--adopt-existing is about .env and tls/, which --images-only does not touch');
    if (values['images-only'] && values.host.length) throw new Error('--host names the TLS certificate, which --images-only does not make');
    if (values['server-gid'] !== undefined && !/^\d{1,10}$/.test(values['server-gid'])) throw new Error('--server-gid must be a numeric group id');
  } catch (e) {
    err(`onsite init: ${(e as Error).message}\n${INIT_USAGE}`);
    return 2;
  }
  if (values.help) {
    out(INIT_USAGE);
    return 0;
  }
  try {
    await runInit(
      {
        bundleDir: resolve(values.bundle ?? '.'),
        ...(values['ollama-dir'] ? { ollamaDir: resolve(values['ollama-dir']) } : {}),
        dockerSocket: values['docker-socket'],
        skipImages: values['skip-images'],
        imagesOnly: values['images-only'],
        adoptExisting: values['adopt-existing'],
        hosts: values.host,
        ...(owner ? { owner } : {}),
        // Only root may give a file to a group it is not in: run as another user, the key stays 0600.
        ...(values['server-gid'] !== undefined ? { serverGid: Number(values['server-gid']) } : process.getuid?.() === 0 ? { serverGid: SERVER_GID } : {}),
        keyring,
        version: VERSION,
      },
      out,
    );
    return 0;
  } catch (e) {
    if (isAppError(e, INIT_ERROR_CODES)) err(`onsite init: ${e.message} [${e.code}]`);
    // A full disk or a read-only mount is the operator's to fix, not a bug: no stack trace.
    else if (typeof (e as NodeJS.ErrnoException)?.syscall === 'string') err(`onsite init: ${(e as Error).message} [io_error]`);
    else throw e;
    return 1;
  }
}

/** `onsite init`: installs from a release bundle (see {@link INIT_USAGE}). */
export const initCommand: Command = {
  name: 'init',
  usage: [
    {
      synopsis:
        'init [--bundle DIR] [--ollama-dir DIR] [--docker-socket PATH] [--skip-images | --images-only] [--adopt-existing] [--host NAME]... [--server-gid GID]',
      summary:
        'install from a release bundle: verify its signature and checksums, load\nits images, import its models, write .env (secrets) and tls/; rerun-safe\n(--images-only: stop after the models, write nothing into the bundle; for updates)',
    },
  ],
  run: (args, env, io) => runInitCommand(args, env, io),
};
