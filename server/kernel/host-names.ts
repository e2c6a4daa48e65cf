import { isIP } from 'node:net';

/** A host as a request names it: the name (lower case, no brackets, no final dot) and the port when one is given. */
export interface HostName {
  name: string;
  port?: number;
}

// Anything a Host header or an ALLOWED_HOSTS entry never holds: a scheme, a path, credentials, wildcards, spaces.
const FOREIGN = /[\s/?#@\\*%]/;

/**
 * Parses `name`, `name:port`, `1.2.3.4:port` or `[::1]:port` the way the
 * WHATWG URL parser reads a host (lower case, IDNA for non-ASCII names),
 * without the IPv6 brackets and without one final dot (`onsite.lan.` is
 * the same DNS name as `onsite.lan`). Undefined for anything else.
 */
export function parseHost(value: string): HostName | undefined {
  const text = isIP(value) === 6 ? `[${value}]` : value; // a bare IPv6 address, as an operator may write it
  if (!text || text.length > 300 || FOREIGN.test(text) || !URL.canParse(`http://${text}`)) return undefined;
  const url = new URL(`http://${text}`);
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password) return undefined;
  const name = url.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '');
  if (!name) return undefined;
  // The URL parser drops :80 as http's default: keep the port the text names.
  const written = /:(\d{1,5})$/.exec(text);
  return written ? { name, port: Number(written[1]) } : { name };
}

/** Writes a host back as a URL's host part: IPv6 in brackets, then `:port` when given. */
export function formatHost(host: HostName, port = host.port): string {
  const name = isIP(host.name) === 6 ? `[${host.name}]` : host.name;
  return port === undefined ? name : `${name}:${port}`;
}
