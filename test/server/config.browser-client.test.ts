import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, redactedConfig } from '../../server/config.ts';
import { tempDir, validEnv } from '../helpers/env.ts';

const tmp = tempDir();
afterAll(tmp.cleanup);

describe('browser client configuration', () => {
  it('has documented defaults', () => {
    const c = loadConfig(validEnv(tmp.dir, { BROWSER_SERVICE_URL: undefined }));
    expect([c.BROWSER_SERVICE_URL, c.BROWSER_CLIENT_CONCURRENCY, c.BROWSER_CLIENT_WAIT_SECONDS, c.BROWSER_CLIENT_TIMEOUT_SECONDS]).toEqual([
      'http://browser:9020',
      6,
      10,
      30,
    ]);
    expect(redactedConfig(c).BROWSER_SERVICE_AUTH_TOKEN).toBe('[set]');
  });

  it('names bad values', () => {
    const env = validEnv(tmp.dir, { BROWSER_CLIENT_CONCURRENCY: '0', BROWSER_CLIENT_TIMEOUT_SECONDS: 'soon', BROWSER_SERVICE_URL: 'ftp://browser' });
    const message = (() => {
      try {
        loadConfig(env);
        return '';
      } catch (err) {
        return (err as Error).message;
      }
    })();
    for (const key of ['BROWSER_CLIENT_CONCURRENCY', 'BROWSER_CLIENT_TIMEOUT_SECONDS', 'BROWSER_SERVICE_URL']) expect(message).toMatch(new RegExp(`${key}: `));
  });

  it('with NO_EXTERNAL_EGRESS=1 refuses a public address for the sidecar (checked without connecting)', () => {
    expect(() => loadConfig(validEnv(tmp.dir, { NO_EXTERNAL_EGRESS: '1', BROWSER_SERVICE_URL: 'http://203.0.113.7:9020' }))).toThrow(
      /BROWSER_SERVICE_URL: NO_EXTERNAL_EGRESS=1 allows only loopback or private/,
    );
    expect(loadConfig(validEnv(tmp.dir, { NO_EXTERNAL_EGRESS: '1', BROWSER_SERVICE_URL: 'http://10.0.0.5:9020' })).BROWSER_SERVICE_URL).toBe(
      'http://10.0.0.5:9020',
    );
    expect(loadConfig(validEnv(tmp.dir, { NO_EXTERNAL_EGRESS: '1', BROWSER_SERVICE_URL: 'http://browser:9020' })).BROWSER_SERVICE_URL).toBe(
      'http://browser:9020',
    );
  });
});
