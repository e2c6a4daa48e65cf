import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * What kind of address an IP is, by ipaddr.js's range names: `unicast` is a
 * public address; everything else (loopback, private, linkLocal,
 * carrierGradeNat, multicast, unspecified, uniqueLocal, reserved, 6to4,
 * teredo, rfc6052 …) is not for a fetcher to reach unless allowed.
 * IPv4-mapped and IPv4-compatible IPv6 addresses are judged by the IPv4
 * address inside them, so `::ffff:127.0.0.1` is loopback.
 */
export function addressRange(ip: string): string {
  const parsed = ipaddr.process(ip); // unwraps ::ffff:a.b.c.d to IPv4
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    // ::a.b.c.d (deprecated IPv4-compatible) is not unwrapped by process().
    if (v6.range() === 'ipv4Mapped' || isIPv4Compatible(v6)) return ipaddr.IPv4.parse(embeddedIPv4(v6)).range();
  }
  return parsed.range();
}

function isIPv4Compatible(v6: ipaddr.IPv6): boolean {
  const p = v6.parts;
  return p.slice(0, 6).every((x) => x === 0) && (p[6] !== 0 || (p[7] ?? 0) > 1);
}

function embeddedIPv4(v6: ipaddr.IPv6): string {
  const hi = v6.parts[6] ?? 0;
  const lo = v6.parts[7] ?? 0;
  return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
}

/**
 * Tells whether a text is an IP address in canonical notation (dotted quad
 * or IPv6). Other IPv4 notations are not literals here: the URL parser has
 * already normalised them, and anywhere else they are refused.
 */
export function isIpLiteral(host: string): boolean {
  return isIP(stripBrackets(host)) !== 0;
}

/** `[::1]` → `::1`; other hosts unchanged. */
export function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** Tells whether an address is public unicast (safe to reach from the sidecar without an allow-list entry). */
export function isPublicAddress(ip: string): boolean {
  return addressRange(ip) === 'unicast';
}

const WORDS: Record<string, string> = {
  loopback: 'a loopback address',
  private: 'a private address',
  linkLocal: 'a link-local address',
  carrierGradeNat: 'a carrier-grade NAT address',
  multicast: 'a multicast address',
  unspecified: 'an unspecified address',
  broadcast: 'a broadcast address',
  uniqueLocal: 'a unique-local IPv6 address',
  reserved: 'a reserved address',
  '6to4': 'a 6to4 address (it embeds an IPv4 address)',
  teredo: 'a Teredo address (it embeds an IPv4 address)',
  rfc6052: 'a NAT64 address (it embeds an IPv4 address)',
  rfc6145: 'an IPv4-translated address',
  benchmarking: 'a benchmarking address',
  amt: 'an AMT address',
  as112: 'an AS112 address',
  deprecated: 'a deprecated address',
  orchid2: 'an ORCHIDv2 address',
  droneRemoteIdProtocolEntityTags: 'a reserved address',
};

/** A person's words for where an address points, e.g. "169.254.169.254 (a link-local address, where cloud metadata lives)". */
export function describeAddress(ip: string): string {
  const range = addressRange(ip);
  const words = WORDS[range] ?? `a ${range} address`;
  const metadata = ip === '169.254.169.254' || ip === 'fd00:ec2::254' ? ', where cloud metadata services answer' : '';
  return `${ip} (${words}${metadata})`;
}
