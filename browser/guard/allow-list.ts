import ipaddr from 'ipaddr.js';
import { isIpLiteral, stripBrackets } from './address.ts';

/**
 * BROWSER_SERVICE_ALLOWED_INTERNAL_HOSTS: the internal hosts an operator lets
 * the sidecar reach. Entries are comma-separated: a host name (`wiki.corp`,
 * exact, any case), a domain and its subdomains (`.corp.example`), an IP
 * address (`10.0.0.5`, `fd00::5`) or a CIDR range (`10.20.0.0/16`).
 * A name entry lets that name resolve to internal addresses; an address or
 * range entry allows that address whatever name led to it.
 */
export interface AllowList {
  /** Tells whether the host name (as the URL gives it) is listed. */
  allowsHost(host: string): boolean;
  /** Tells whether the address is listed or inside a listed range. */
  allowsAddress(ip: string): boolean;
  /** True when nothing is listed. */
  readonly empty: boolean;
}

/** Lower-cased host without a trailing dot, so `Wiki.Corp.` matches `wiki.corp`. */
export function normalizeHost(host: string): string {
  return stripBrackets(host).toLowerCase().replace(/\.$/, '');
}

const NAME = /^\.?(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/**
 * Parses the allow list; throws an Error listing every entry that is neither
 * a host name, a domain, an address nor a range.
 */
export function parseAllowList(text: string): AllowList {
  const names = new Set<string>();
  const domains: string[] = [];
  const ranges: Array<[ipaddr.IPv4 | ipaddr.IPv6, number]> = [];
  const bad: string[] = [];
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    if (entry.includes('/')) {
      try {
        ranges.push(ipaddr.parseCIDR(stripBrackets(entry)));
      } catch {
        bad.push(entry);
      }
    } else if (isIpLiteral(entry)) {
      const ip = ipaddr.process(stripBrackets(entry));
      ranges.push([ip, ip.kind() === 'ipv4' ? 32 : 128]);
    } else if (NAME.test(normalizeHost(entry.replace(/^\*\./, '.')))) {
      const name = normalizeHost(entry.replace(/^\*\./, '.'));
      if (name.startsWith('.')) domains.push(name);
      else names.add(name);
    } else {
      bad.push(entry);
    }
  }
  if (bad.length > 0) throw new Error(`not a host name, domain, IP address or CIDR range: ${bad.join(', ')}`);

  return {
    empty: names.size === 0 && domains.length === 0 && ranges.length === 0,
    allowsHost(host) {
      const h = normalizeHost(host);
      return names.has(h) || domains.some((d) => h.endsWith(d) || h === d.slice(1));
    },
    allowsAddress(ip) {
      const addr = ipaddr.process(stripBrackets(ip));
      return ranges.some(([base, bits]) => base.kind() === addr.kind() && addr.match(base, bits));
    },
  };
}
