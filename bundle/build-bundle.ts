// npm run bundle: the release bundle an operator carries to the site.
//   1. the single binary (npm run build, unless --skip-binary)
//   2. the images onsite:<v> and onsite-browser:<v> (docker build on debian:bookworm-slim)
//   3. docker save of each, plus the pinned Ollama image when given
//   4. compose files, operator scripts and docs, third-party notices, models
//   5. SHA256SUMS and its Ed25519 signatures (SHA256SUMS.sig for onsite,
//      SHA256SUMS.sshsig for ssh-keygen), then onsite-<v>.tar.gz
// Signing: ONSITE_RELEASE=1 with BUNDLE_SIGNING_KEY_FILE (a vendor key of
// licenses/keys/bundle-signing-keys.json), else the development key in
// dist/; any mix is refused (bundle/signing-key.ts). init.sh and init.ps1
// get the trusted public keys written in, for their stock-tool check.
// Options: --out DIR (default dist/bundle), --models DIR (Ollama's models
// folder: manifests/ and blobs/), --ollama-image FILE.tar or --without-ollama
// (tests replace the ollama service), --archive gz|tar|none (tar.gz by
// default; tests take a plain tar, which skips a minute of compression),
// --version V (tag the images otherwise than package.json says).
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { bundleSigningKey, isReleaseBuild } from './signing-key.ts';
import { embedTrustedKeys } from './stock-keys.ts';
import { writeSums } from './sums.ts';
import { writeNotices } from './notices.ts';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    out: { type: 'string', default: join(root, 'dist/bundle') },
    models: { type: 'string' },
    'ollama-image': { type: 'string' },
    'without-ollama': { type: 'boolean', default: false },
    archive: { type: 'string', default: 'gz' },
    'skip-binary': { type: 'boolean', default: false },
    version: { type: 'string' },
  },
});

function fail(message: string): never {
  console.error(`build-bundle: ${message}`);
  process.exit(1);
}
const step = (label: string) => console.log(`build-bundle: ${label}`);
const run = (cmd: string, args: string[], opts: { quiet?: boolean } = {}) =>
  execFileSync(cmd, args, { cwd: root, stdio: ['ignore', opts.quiet ? 'pipe' : 'inherit', 'inherit'] });

let release = false;
try {
  release = isReleaseBuild(process.env);
} catch (err) {
  fail((err as Error).message);
}
// A release carries a binary built now as a release (no development key), never whatever dist/onsite holds.
if (release && values['skip-binary']) fail('a release bundle (ONSITE_RELEASE=1) builds its own release binary: drop --skip-binary');
if (!['gz', 'tar', 'none'].includes(values.archive)) fail(`--archive is gz, tar or none, not ${values.archive}`);
const version = values.version ?? (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
if (!/^[\w.-]{1,64}$/.test(version)) fail(`not a valid image tag: ${version}`);
const OLLAMA_TAG = (/image: ollama\/ollama:\$\{OLLAMA_VERSION:-([^}]+)\}/.exec(readFileSync(join(root, 'compose/docker-compose.yml'), 'utf8')) ??
  fail('compose file names no ollama tag'))[1]!;
if (!values['without-ollama'] && !values['ollama-image']) {
  fail(`the bundle needs the Ollama image: pass --ollama-image FILE.tar (docker save ollama/ollama:${OLLAMA_TAG} on a connected machine), or --without-ollama`);
}
try {
  execFileSync('docker', ['info'], { stdio: 'ignore' });
} catch {
  fail('cannot reach a Docker engine (docker info failed)');
}
try {
  execFileSync('docker', ['image', 'inspect', 'debian:bookworm-slim'], { stdio: 'ignore' });
} catch {
  fail(
    'the base image debian:bookworm-slim is missing: docker pull it on a connected machine, or make it with debootstrap (see PLATFORM notes in test/run.sh)',
  );
}

// 1. the binary
if (!values['skip-binary']) run('npm', ['run', '--silent', 'build']);
const binary = join(root, 'dist/onsite');
if (!existsSync(binary)) fail('dist/onsite is missing: run npm run build');
let signing: ReturnType<typeof bundleSigningKey>;
try {
  signing = bundleSigningKey(root, process.env);
} catch (err) {
  fail((err as Error).message);
}
const revision = execFileSync(binary, ['version'])
  .toString()
  .trim()
  .replace(/^.*\((.*)\)$/, '$1');

// 2. the images, from a context holding only the binary
const out = resolve(values.out);
const dir = join(out, `onsite-${version}`);
rmSync(dir, { recursive: true, force: true });
mkdirSync(join(dir, 'images'), { recursive: true });
const context = join(out, '.context');
rmSync(context, { recursive: true, force: true });
mkdirSync(context, { recursive: true });
copyFileSync(binary, join(context, 'onsite'));
chmodSync(join(context, 'onsite'), 0o755);
const images = [
  { name: 'onsite', file: 'bundle/images/onsite.Dockerfile' },
  { name: 'onsite-browser', file: 'bundle/images/browser.Dockerfile' },
];
for (const image of images) {
  step(`docker build ${image.name}:${version}`);
  // --network host: apt inside the build reaches the Debian mirror; nothing at run time does.
  run(
    'docker',
    [
      'build',
      '-q',
      '--network',
      'host',
      '--build-arg',
      `ONSITE_VERSION=${version}`,
      '--build-arg',
      `ONSITE_REVISION=${revision}`,
      '-t',
      `${image.name}:${version}`,
      '-f',
      join(root, image.file),
      context,
    ],
    { quiet: true },
  );
}
rmSync(context, { recursive: true, force: true });

// 3. image tarballs
for (const image of images) {
  step(`docker save ${image.name}:${version}`);
  run('docker', ['save', '-o', join(dir, 'images', `${image.name}-${version}.tar`), `${image.name}:${version}`]);
}
if (values['ollama-image']) copyFileSync(resolve(values['ollama-image']), join(dir, 'images', `ollama-${OLLAMA_TAG}.tar`));

// 4. operator files
writeFileSync(join(dir, 'VERSION'), `${version}\n`);
for (const f of ['docker-compose.yml', 'docker-compose.gpu.yml', 'docker-compose.egress.yml', '.env.example'])
  copyFileSync(join(root, 'compose', f), join(dir, f));
mkdirSync(join(dir, 'scripts'));
for (const f of ['init.sh', 'init.ps1', 'update.sh', 'backup.sh', 'restore.sh', 'lib.sh']) {
  const text = readFileSync(join(root, 'scripts', f), 'utf8');
  writeFileSync(join(dir, 'scripts', f), f.startsWith('init.') ? embedTrustedKeys(text, signing.trusted) : text);
  chmodSync(join(dir, 'scripts', f), f.endsWith('.sh') && f !== 'lib.sh' ? 0o755 : 0o644);
}
cpSync(join(root, 'bundle/docs'), join(dir, 'docs'), { recursive: true });
if (values.models) {
  const models = resolve(values.models);
  if (!existsSync(join(models, 'manifests')) || !existsSync(join(models, 'blobs'))) fail(`${models} is not an Ollama models folder (manifests/ and blobs/)`);
  cpSync(models, join(dir, 'models'), { recursive: true });
}
step('third-party notices');
writeNotices(
  root,
  dir,
  images.map((i) => `${i.name}:${version}`),
);

// 5. checksums, signature, archive
step('SHA256SUMS and its signature');
const signer = writeSums(dir, signing);
step(`signed with ${signing.release ? 'vendor' : 'DEVELOPMENT'} key ${signer.kid} (fingerprint ${signer.fingerprint})`);
if (values.archive !== 'none') {
  const archive = join(out, `onsite-${version}.${values.archive === 'tar' ? 'tar' : 'tar.gz'}`);
  step(`writing ${archive}`);
  run('tar', ['-C', dirname(dir), values.archive === 'tar' ? '-cf' : '-czf', archive, relative(dirname(dir), dir)]);
}
step(`done: ${dir}`);
