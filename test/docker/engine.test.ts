import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/env.ts';

const ENGINE = resolve(import.meta.dirname, 'engine.sh');
const tmp = tempDir('onsite-apt-');
afterAll(tmp.cleanup);
let n = 0;

// An /etc/apt of the test's own; the hosts are reserved example names.
function aptDir(files: Record<string, string>): string {
  const dir = join(tmp.dir, `apt${++n}`);
  mkdirSync(join(dir, 'sources.list.d'), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
const mirror = (dir: string, suite = 'bookworm') =>
  execFileSync('bash', ['-c', `. "${ENGINE}"; apt_mirror "$1" "$2"`, 'sh', suite, dir], { encoding: 'utf8' }).trim();

describe('test/docker/engine.sh: the Debian mirror for debootstrap comes from the apt sources', () => {
  it('reads deb822 .sources: the first enabled deb stanza with the suite, URIs and Suites on several lines too', () => {
    const dir = aptDir({
      'sources.list.d/debian.sources': [
        '# the security archive has no full suite',
        'Types: deb',
        'URIs: http://security.mirror.example/debian-security',
        'Suites: bookworm-security',
        'Components: main',
        '',
        'Types: deb',
        'Enabled: no',
        'URIs: http://off.mirror.example/debian',
        'Suites: bookworm',
        '',
        'Types: deb-src deb',
        'URIs: http://a.mirror.example/debian',
        '  http://b.mirror.example/debian',
        'Suites: trixie',
        ' bookworm bookworm-updates',
        'Components: main',
        'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
        '',
      ].join('\n'),
      'sources.list.d/old.sources.disabled': 'Types: deb\nURIs: http://ignored.mirror.example/debian\nSuites: bookworm\n',
    });
    expect(mirror(dir)).toBe('http://a.mirror.example/debian');
    expect(mirror(dir, 'bookworm-security')).toBe('http://security.mirror.example/debian-security');
    expect(mirror(dir, 'sid')).toBe('');
  });

  it('reads one-line sources.list and .list files, with options in brackets, before the .sources', () => {
    const dir = aptDir({
      'sources.list':
        '# deb http://commented.mirror.example/debian bookworm main\ndeb-src http://src.mirror.example/debian bookworm main\ndeb [ arch=amd64 signed-by=/k.gpg ] http://c.mirror.example/debian bookworm main\n',
      'sources.list.d/extra.list': 'deb [arch=amd64] https://d.mirror.example/debian bookworm main contrib\n',
      'sources.list.d/debian.sources': 'Types: deb\nURIs: http://e.mirror.example/debian\nSuites: bookworm\n',
    });
    expect(mirror(dir)).toBe('http://c.mirror.example/debian');
    const listOnly = aptDir({
      'sources.list.d/extra.list': 'deb [arch=amd64] https://d.mirror.example/debian bookworm main\ndeb mirror+file:/etc/apt/mirrors.txt bookworm main\n',
    });
    expect(mirror(listOnly)).toBe('https://d.mirror.example/debian');
    expect(mirror(aptDir({ 'sources.list.d/m.list': 'deb mirror+file:/etc/apt/mirrors.txt bookworm main\n' }))).toBe('');
  });
});
