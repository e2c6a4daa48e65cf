import { BlockList, isIP } from 'node:net';

// Loopback and RFC 1918 / ULA ranges: where an operator's own monitoring lives.
const internal = new BlockList();
internal.addSubnet('127.0.0.0', 8, 'ipv4');
internal.addSubnet('10.0.0.0', 8, 'ipv4');
internal.addSubnet('172.16.0.0', 12, 'ipv4');
internal.addSubnet('192.168.0.0', 16, 'ipv4');
internal.addAddress('::1', 'ipv6');
internal.addSubnet('fc00::', 7, 'ipv6');

/** Unwraps an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) to its IPv4 form. */
export function unmapIPv4(address: string): string {
  const m = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return m?.[1] ?? address;
}

/** Tells whether an address is loopback or in a private (RFC 1918 / ULA) range. */
export function isLoopbackOrPrivate(address: string | undefined): boolean {
  if (!address) return false;
  const a = unmapIPv4(address);
  const family = isIP(a);
  if (family === 0) return false;
  return internal.check(a, family === 4 ? 'ipv4' : 'ipv6');
}

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** Tells whether a URL host names this machine: `localhost` or a loopback address (IPv6 with or without brackets). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  const a = unmapIPv4(h);
  const family = isIP(a);
  return family !== 0 && loopback.check(a, family === 4 ? 'ipv4' : 'ipv6');
}
