import { secretProblem } from '../../../server/kernel/secrets.ts';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, REQUIRED_SECRETS } from '../../../server/config.ts';
import { parseEnvText } from '../../../server/init/env/dotenv.ts';
import { envEntries, INIT_SECRETS } from '../../../server/init/env/entries.ts';
import { ensureEnvFile, generateInstallSecret } from '../../../server/init/env/write.ts';
import { folderMaker, tempDir } from '../../helpers/env.ts';

const tmp = tempDir('onsite-env-');
afterAll(tmp.cleanup);
const bundle = folderMaker(tmp.dir);
const read = (dir: string) => readFileSync(join(dir, '.env'), 'utf8');
const mode = (dir: string) => statSync(join(dir, '.env')).mode & 0o777;

describe('.env', () => {
  it('is created with mode 0600, every entry, and unique secrets of at least 32 random bytes', async () => {
    const dir = bundle();
    const r = await ensureEnvFile(dir, { version: '0.1.0' });
    expect(r.created).toBe(true);
    expect(mode(dir)).toBe(0o600);
    const values = parseEnvText(read(dir));
    expect([...values.keys()]).toEqual(envEntries('0.1.0').map((e) => e.key));
    const secrets = INIT_SECRETS.map((k) => values.get(k)!);
    expect(INIT_SECRETS).toEqual(
      expect.arrayContaining(['SESSION_SECRET', 'DB_ENCRYPTION_KEY', 'MINER_ENROLLMENT_SECRET', 'BROWSER_SERVICE_AUTH_TOKEN', 'ONSITE_BOOTSTRAP_TOKEN']),
    );
    for (const s of secrets) {
      expect(s).toMatch(/^[A-Za-z0-9_-]{43,}$/); // base64url of ≥ 32 bytes
      expect(Buffer.from(s, 'base64url').length).toBeGreaterThanOrEqual(32);
    }
    expect(new Set(secrets).size).toBe(secrets.length);
    expect(values.get('ONSITE_VERSION')).toBe('0.1.0');
    expect(values.get('APP_BASE_URL')).toBe('http://localhost:8000');
    expect(values.get('HTTP_PORT')).toBe('8000');
    expect(values.get('NO_EXTERNAL_EGRESS')).toBe('0');
    expect(values.get('TLS_CERT_PATH')).toBe('/etc/onsite/tls/server.crt');
  });

  it('holds a configuration the server accepts as it is', async () => {
    const dir = bundle();
    await ensureEnvFile(dir, { version: '0.1.0' });
    const env = Object.fromEntries(parseEnvText(read(dir)));
    const config = loadConfig({ ...env, ONSITE_DATA_DIR: join(dir, 'data') });
    for (const k of REQUIRED_SECRETS) expect(config[k]).toBe(env[k]);
    expect(config.TLS_KEY_PATH).toBe('/etc/onsite/tls/server.key');
  });

  it('a rerun keeps the file byte for byte; a deleted key comes back, nothing else changes', async () => {
    const dir = bundle();
    await ensureEnvFile(dir, { version: '0.1.0' });
    const first = read(dir);
    const again = await ensureEnvFile(dir, { version: '0.2.0', settings: { TLS_HOSTS: 'other' } });
    expect(again).toMatchObject({ created: false, changed: false, added: [], filled: [] });
    expect(read(dir)).toBe(first);

    const edited = first
      .replace(/^DB_ENCRYPTION_KEY=.*\n/m, '')
      .replace('APP_BASE_URL=http://localhost:8000', 'APP_BASE_URL=https://ai.corp.example # edited')
      .concat('# my own note\nMY_SETTING=1\n');
    writeFileSync(join(dir, '.env'), edited, { mode: 0o644 });
    const r = await ensureEnvFile(dir, { version: '0.1.0', now: new Date('2027-01-02T00:00:00Z') });
    expect(r.added).toEqual(['DB_ENCRYPTION_KEY']);
    const text = read(dir);
    expect(text.startsWith(edited)).toBe(true);
    expect(text.slice(edited.length)).toMatch(/^\n# Added by onsite init \(2027-01-02\):\n\n# ---- Secrets .*\n(#.*\n)+DB_ENCRYPTION_KEY=[A-Za-z0-9_-]{43}\n$/);
    expect(parseEnvText(text).get('DB_ENCRYPTION_KEY')).not.toBe(parseEnvText(first).get('DB_ENCRYPTION_KEY'));
    expect(parseEnvText(text).get('APP_BASE_URL')).toBe('https://ai.corp.example');
    expect(mode(dir)).toBe(0o600);
  });

  it('fills a secret left blank (a copied .env.example) in place, and leaves NAME_FILE secrets alone', async () => {
    const dir = bundle();
    writeFileSync(join(dir, '.env'), 'SESSION_SECRET=\r\nDB_ENCRYPTION_KEY_FILE=/run/secrets/db\r\nTLS_HOSTS=\r\n');
    const r = await ensureEnvFile(dir, { version: '0.1.0' });
    expect(r.filled).toEqual(['SESSION_SECRET']);
    expect(r.added).not.toContain('DB_ENCRYPTION_KEY');
    expect(r.added).not.toContain('TLS_HOSTS');
    const text = read(dir);
    expect(text).toMatch(/^SESSION_SECRET=[A-Za-z0-9_-]{43}\r\nDB_ENCRYPTION_KEY_FILE=\/run\/secrets\/db\r\nTLS_HOSTS=\r\n/);
    expect(text.split('\n').every((l, i, all) => i === all.length - 1 || l.endsWith('\r'))).toBe(true); // CRLF kept (edited on Windows)
  });

  it('never replaces a weak secret, but says the server will refuse it', async () => {
    const dir = bundle();
    writeFileSync(join(dir, '.env'), 'SESSION_SECRET=changeme\n');
    const r = await ensureEnvFile(dir, { version: '0.1.0' });
    expect(parseEnvText(read(dir)).get('SESSION_SECRET')).toBe('changeme');
    expect(r.weak).toEqual(['SESSION_SECRET: too short (8 characters, at least 32)']);
  });

  it('takes settings from options only for keys that are absent', async () => {
    const dir = bundle();
    await ensureEnvFile(dir, { version: '0.1.0', settings: { TLS_HOSTS: 'ai.corp,10.0.0.5' } });
    expect(parseEnvText(read(dir)).get('TLS_HOSTS')).toBe('ai.corp,10.0.0.5');
  });

  it('generated secrets never look like examples to any role', () => {
    for (let i = 0; i < 2000; i++) {
      const value = generateInstallSecret();
      expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(secretProblem(value)).toBeUndefined(); // the one rule server, miner and browser all apply
    }
  });
});

describe('parseEnvText', () => {
  it('reads values as compose does', () => {
    const v = parseEnvText('# c\nA=1\nexport B = two \nC="quoted # not a comment"\nD=plain # comment\nE=\nA=last\nnot a line\n');
    expect(Object.fromEntries(v)).toEqual({ A: 'last', B: 'two', C: 'quoted # not a comment', D: 'plain', E: '' });
  });
});
