import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../helpers/env.ts';

const tmp = tempDir();
afterAll(tmp.cleanup);

describe('drizzle schema and committed migrations', () => {
  it('agree: generating from the schema adds no migration', () => {
    const out = join(tmp.dir, 'migrations');
    cpSync('server/db/migrations', out, { recursive: true });
    const before = readdirSync(out).sort();
    const log = execFileSync(
      'node_modules/.bin/drizzle-kit',
      ['generate', '--dialect', 'sqlite', '--schema', './server/db/schema/index.ts', '--out', relative(process.cwd(), out)],
      { encoding: 'utf8' },
    );
    expect(log).toMatch(/No schema changes/);
    expect(readdirSync(out).sort(), log).toEqual(before);
  });
});
