import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseEnvText } from '../../../../server/init/env/dotenv.ts';
import { envEntries } from '../../../../server/init/env/entries.ts';
import { renderEnvExample } from '../../../../server/init/env/write.ts';
import { VERSION } from '../../../../server/version.ts';

const FILE = 'compose/.env.example';

describe('compose/.env.example', () => {
  // The example is generated from the same list init writes .env from, so
  // the compose file, the example and init never disagree on a name.
  it('is exactly what init would describe (UPDATE_ENV_EXAMPLE=1 rewrites it)', () => {
    const expected = renderEnvExample(VERSION);
    if (process.env.UPDATE_ENV_EXAMPLE === '1') writeFileSync(FILE, expected);
    expect(
      readFileSync(FILE, 'utf8'),
      `${FILE} is out of date: run UPDATE_ENV_EXAMPLE=1 npx vitest run --config test/vitest.config.ts test/server/init/env/write.test.ts`,
    ).toBe(expected);
  });

  it('leaves every secret blank and every setting at its default', () => {
    const values = parseEnvText(renderEnvExample(VERSION));
    for (const e of envEntries(VERSION)) expect(values.get(e.key), e.key).toBe(e.kind === 'secret' ? '' : e.value);
  });

  it('holds every variable a compose file requires (${NAME:?…}) with no default of its own', () => {
    const files = existsSync('compose') ? readdirSync('compose').filter((f) => /^docker-compose.*\.ya?ml$/.test(f)) : [];
    const required = new Set(files.flatMap((f) => [...readFileSync(`compose/${f}`, 'utf8').matchAll(/\$\{([A-Z0-9_]+)(?::?\?|\})/g)].map((m) => m[1]!)));
    const written = new Set(envEntries(VERSION).map((e) => e.key));
    expect([...required].filter((k) => !written.has(k))).toEqual([]);
  });
});
