// One bounded conversation with the directory: connect (ldaps://, or
// ldap:// upgraded with StartTLS unless plaintext is explicitly allowed),
// run the caller's operations, unbind. Every step and the whole are bounded
// by LDAP_TIMEOUT_S, so a directory that stops answering fails a sign-in
// with `directory_unreachable` instead of holding the request open.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { Client, ResultCodeError } from 'ldapts';
import { AppError } from '../kernel/errors.ts';

/** How to reach the directory (from the LDAP_* configuration). */
export interface LdapConnectionSettings {
  url: string;
  caFile?: string | undefined;
  allowPlaintext: boolean;
  timeoutS: number;
}

/** The TLS options for the directory's URL, read once: the name its certificate must carry, and the CA file. */
export function tlsOptionsFor(s: LdapConnectionSettings): ConnectionOptions {
  const host = new URL(s.url).hostname.replace(/^\[|\]$/g, '');
  const ip = isIP(host) !== 0;
  return {
    minVersion: 'TLSv1.2',
    // StartTLS upgrades an open socket: without `host`, Node would check the certificate against "localhost".
    host,
    ...(ip ? {} : { servername: host }), // SNI carries names, never addresses
    // A CA file replaces the system's trust store: the directory's own CA is what signed it.
    ...(s.caFile ? { ca: readFileSync(s.caFile) } : {}),
  };
}

/** Thrown on a network failure, a timeout or a refused TLS upgrade; message for the admin, never a secret. */
export const unreachable = (why: string) => new AppError('directory_unreachable', `the directory cannot be reached: ${why}`);

/** True when `err` is the directory's answer (an LDAP result code), not a failure to talk to it. */
export const isResultCode = (err: unknown): err is ResultCodeError => err instanceof ResultCodeError;

/**
 * Opens a connection, runs `fn` on it and unbinds, all within the timeout.
 * Network errors and timeouts become `directory_unreachable`; LDAP result
 * codes (a wrong password, a missing entry) and AppErrors pass through for
 * the caller to read.
 */
export async function withDirectory<T>(s: LdapConnectionSettings, tls: ConnectionOptions, fn: (client: Client) => Promise<T>): Promise<T> {
  const ms = s.timeoutS * 1000;
  const secure = s.url.startsWith('ldaps:');
  const client = new Client({ url: s.url, timeout: ms, connectTimeout: ms, strictDN: false, ...(secure ? { tlsOptions: tls } : {}) });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(unreachable(`no answer within ${s.timeoutS} s`)), ms);
  });
  const work = (async () => {
    if (!secure && !s.allowPlaintext) {
      try {
        await client.startTLS(tls);
      } catch (err) {
        if (err instanceof AppError) throw err;
        // Never fall back to plaintext on its own: that would send passwords in the clear.
        throw unreachable(`StartTLS failed (${describe(err)}); use ldaps://, fix the directory's TLS, or set LDAP_ALLOW_PLAINTEXT=1 on a trusted network`);
      }
    }
    return fn(client);
  })();
  try {
    return await Promise.race([work, deadline]);
  } catch (err) {
    if (err instanceof AppError || isResultCode(err)) throw err;
    throw unreachable(describe(err));
  } finally {
    clearTimeout(timer);
    work.catch(() => undefined); // settled later by the socket's close; its outcome no longer matters
    // Unbind without waiting on a directory that may not answer; ldapts closes the socket either way.
    void client.unbind().catch(() => undefined);
  }
}

// Node's and ldapts' messages name the host and the failure, never a password.
function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return (
    (e.code ? `${e.code}: ` : '') +
    String(e.message ?? err)
      .split('\n')[0]!
      .slice(0, 200)
  );
}
