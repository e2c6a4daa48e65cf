import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Keyring } from '../../licenses/activation-code.ts';
import { acceptedUnlisted, ensureRecord, RECORD_FILE } from './bundle/record.ts';
import { verifyBundle, type VerifiedBundle } from './bundle/verify.ts';
import { parseEnvText } from './env/dotenv.ts';
import { ENV_FILE, ensureEnvFile, type EnvResult } from './env/write.ts';
import { AppError } from '../kernel/errors.ts';
import type { Owner } from './files.ts';
import { loadImages, type LoadedImage } from './images/load.ts';
import { importModels, type ModelImport } from './models/import.ts';
import { nextSteps } from './next-steps.ts';
import { checkTlsFiles, ensureTls, type TlsResult } from './tls/ensure.ts';
import { certificateHosts } from './tls/hosts.ts';

/** Everything `onsite init` needs, already parsed: nothing here reads the environment. */
export interface InitOptions {
  /** The extracted release bundle; `.env` and `tls/` are written here. */
  bundleDir: string;
  /** Ollama's data folder (the ollama volume); models are skipped when absent. */
  ollamaDir?: string;
  dockerSocket: string;
  skipImages: boolean;
  /**
   * Only verify the bundle, load its images and import its models: no `.env`,
   * no TLS files, no bootstrap token or next steps, nothing written into the
   * bundle folder (scripts/update.sh mounts a new bundle read-only).
   */
  imagesOnly?: boolean;
  /**
   * The operator vouches for the .env and tls/ already in the folder
   * (restored from a backup, or the engine lost init's marker volume):
   * init keeps them and records them as its own (`--adopt-existing`).
   */
  adoptExisting?: boolean;
  /** Extra names and addresses for the TLS certificate (`--host`). */
  hosts: string[];
  /** The host user who should own `.env` and `tls/` (init runs as root in a container). */
  owner?: Owner;
  /** The server container's group, which must read tls/server.key; unset keeps the key 0600. */
  serverGid?: number;
  /** Bundle-signing public keys: the compiled-in ones, or a test's own. */
  keyring: Keyring;
  version: string;
  now?: Date;
}

/** What one run did, for the caller and tests. */
export interface InitSummary {
  bundle: VerifiedBundle;
  images: LoadedImage[] | 'skipped';
  models: ModelImport | 'skipped' | 'none';
  env: EnvResult | 'skipped';
  tls: TlsResult | 'skipped';
}

async function checkFolder(path: string, option: string): Promise<void> {
  const s = await stat(path).catch(() => undefined);
  if (!s?.isDirectory()) throw new AppError('usage', `${option} ${path} is not a folder`);
}

/** The names the server certificate is for: the APP_BASE_URL host, TLS_HOSTS, then --host (defaults are added last). */
function tlsHosts(values: ReadonlyMap<string, string>, extra: string[]): string[] {
  const base = values.get('APP_BASE_URL') ?? '';
  return certificateHosts([
    { host: URL.canParse(base) ? new URL(base).hostname : '', source: 'APP_BASE_URL in .env' },
    ...(values.get('TLS_HOSTS') ?? '').split(',').map((host) => ({ host, source: 'TLS_HOSTS in .env' })),
    ...extra.map((host) => ({ host, source: '--host' })),
  ]);
}

// What the operator can get wrong outside the bundle (a host name, half a
// TLS key pair) is found before the first image is loaded, and after the
// bundle is verified: an unverified folder's .env is never read.
async function preflight(o: InitOptions): Promise<void> {
  if (o.imagesOnly) return; // neither .env nor tls/ is read or written
  const existing = await readFile(join(o.bundleDir, ENV_FILE), 'utf8').catch(() => '');
  tlsHosts(parseEnvText(existing), o.hosts);
  await checkTlsFiles(o.bundleDir);
}

const list = (keys: string[]) => (keys.length ? keys.join(', ') : 'none');

/** A byte count for people: MiB below a GiB, GiB above. */
const size = (bytes: number) => (bytes < 1024 ** 3 ? `${(bytes / 1024 ** 2).toFixed(1)} MiB` : `${(bytes / 1024 ** 3).toFixed(2)} GiB`);

/**
 * `onsite init`: verifies the bundle, loads its images, imports its models,
 * writes `.env` and the TLS files, and prints the bootstrap token and next
 * steps. The options, the bundle (signature and every hash), the existing
 * .env and TLS files are all checked before the first change; a rerun
 * keeps every secret, certificate and model and only fills what is missing.
 * With `imagesOnly`, it stops after the models and writes nothing into the
 * bundle folder.
 */
export async function runInit(o: InitOptions, out: (line: string) => void): Promise<InitSummary> {
  out(`onsite init ${o.version}`);
  await checkFolder(o.bundleDir, '--bundle');
  if (o.ollamaDir) await checkFolder(o.ollamaDir, '--ollama-dir');
  // Beside the signed files, only what init wrote here itself (never with --images-only: update's new bundle is bare).
  const accepted = o.imagesOnly ? [] : await acceptedUnlisted(o.bundleDir, o.dockerSocket, o.adoptExisting ?? false);
  const bundle = await verifyBundle(o.bundleDir, o.keyring, (l) => out(`  ${l}`), accepted);
  await preflight(o);
  out(`✓ SHA256SUMS is signed by bundle key "${bundle.signer.kid}"`);
  out(`  key fingerprint (SHA-256): ${bundle.signer.fingerprint}`);
  out('  compare it with the fingerprint the vendor published for this key');
  out(`✓ ${bundle.hashes.size} files match SHA256SUMS`);

  let images: InitSummary['images'] = 'skipped';
  if (o.skipImages) out('- images: skipped (--skip-images)');
  else {
    images = await loadImages(o.bundleDir, o.dockerSocket, (l) => out(`  ${l}`));
    if (images.length === 0) out('- images: no image tarball in images/');
    for (const i of images) out(`✓ loaded ${i.images.join(', ') || 'an image'} from ${i.file}`);
  }

  let models: InitSummary['models'] = 'skipped';
  if (!o.ollamaDir) out('- models: skipped (no --ollama-dir)');
  else {
    models = (await importModels(o.bundleDir, o.ollamaDir, bundle.hashes)) ?? 'none';
    if (models === 'none') out('- models: none in this bundle');
    else {
      out(`✓ models: ${models.models.join(', ') || 'none'}`);
      out(
        `  blobs: ${models.blobsCopied} copied (${size(models.bytesCopied)}), ${models.blobsPresent} already there; manifests: ${models.manifestsWritten} written, ${models.manifestsKept} unchanged`,
      );
    }
  }

  if (o.imagesOnly) {
    out('- .env and tls/: not touched (--images-only)');
    return { bundle, images, models, env: 'skipped', tls: 'skipped' };
  }

  const record = await ensureRecord(o.bundleDir, o.dockerSocket, { adopt: o.adoptExisting ?? false, ...(o.owner ? { owner: o.owner } : {}) });
  out(`✓ ${RECORD_FILE} (init's record of the files it writes here): ${record}`);
  const env = await ensureEnvFile(o.bundleDir, {
    version: o.version,
    // A name the certificate is for is a name users open: the server answers to it too (wildcards are for certificates only).
    settings: o.hosts.length ? { TLS_HOSTS: o.hosts.join(','), ALLOWED_HOSTS: o.hosts.filter((h) => !h.includes('*')).join(',') } : {},
    ...(o.owner ? { owner: o.owner } : {}),
    ...(o.now ? { now: o.now } : {}),
  });
  out(`✓ .env (mode 0600): ${env.created ? 'created' : env.changed ? 'updated' : 'unchanged'}`);
  if (!env.created) out(env.changed ? `  kept: ${list(env.kept)}` : `  kept all ${env.kept.length} values`);
  if (env.changed) out(`  ${env.created ? 'wrote' : 'added'}: ${list([...env.added, ...env.filled])}`);
  for (const w of env.weak) out(`! .env ${w}: the server will refuse it; replace it by hand, or delete the line and run init again`);

  const hosts = tlsHosts(env.values, o.hosts);
  const tls = await ensureTls(o.bundleDir, {
    hosts,
    ...(o.owner ? { owner: o.owner } : {}),
    ...(o.serverGid !== undefined ? { keyGroup: o.serverGid } : {}),
    ...(o.now ? { now: o.now } : {}),
  });
  if (tls.created.length) out(`✓ TLS: created ${tls.created.join(', ')} for ${hosts.join(', ')}`);
  if (tls.kept.length) out(`✓ TLS: kept ${tls.kept.join(', ')}`);
  if (tls.uncovered.length) {
    out(`! tls/server.crt does not cover ${tls.uncovered.join(', ')}; to reissue it, add the names to TLS_HOSTS in .env,`);
    out('  delete tls/server.crt and tls/server.key, and run init again (the local CA is kept)');
  }
  for (const w of tls.warnings) out(`! ${w}`);

  const token = env.values.get('ONSITE_BOOTSTRAP_TOKEN');
  const tokenFile = env.values.get('ONSITE_BOOTSTRAP_TOKEN_FILE');
  const bootstrap = token ? { token } : tokenFile ? { file: tokenFile } : undefined;
  for (const line of nextSteps({ bootstrap, values: env.values, ...(tls.caFingerprint ? { caFingerprint: tls.caFingerprint } : {}) })) out(line);
  return { bundle, images, models, env, tls };
}
