import { isIP } from 'node:net';
import { AppError } from '../../kernel/errors.ts';

/** Names every server certificate carries: this host, and the server's name on the compose network. */
export const DEFAULT_TLS_HOSTS = ['localhost', '127.0.0.1', '::1', 'server'];

const DNS_NAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * Normalises host names and IP addresses for a certificate (lower case,
 * no duplicates, defaults last). Throws {@link AppError} `usage` naming the
 * first one that is neither, with `source` saying where it came from.
 */
export function certificateHosts(requested: Array<{ host: string; source: string }>): string[] {
  const hosts: string[] = [];
  for (const { host, source } of requested) {
    const h = host
      .trim()
      .toLowerCase()
      .replace(/^\[(.*)\]$/, '$1');
    if (!h) continue;
    if (!isIP(h) && !DNS_NAME.test(h)) throw new AppError('usage', `${source}: "${host}" is not a host name or IP address`);
    if (!hosts.includes(h) && !DEFAULT_TLS_HOSTS.includes(h)) hosts.push(h);
  }
  for (const h of DEFAULT_TLS_HOSTS) if (!hosts.includes(h)) hosts.push(h);
  return hosts;
}
