import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/** Tells whether an address lies in one of a set of ranges. */
export type AddressMatcher = (address: string | undefined) => boolean;

// node:net's isIP is strict (four decimal parts, no `0x7f.1`); ipaddr.js alone would accept those forms.
const parseStrict = (address: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined => (isIP(address) ? ipaddr.process(address) : undefined);

/**
 * Says what is wrong with one address or CIDR range (`10.0.0.5`,
 * `10.0.0.0/8`, `fd00::/8`), or undefined when it is valid.
 */
export function addressRangeProblem(entry: string): string | undefined {
  const [base = '', bits, extra] = entry.split('/');
  if (extra !== undefined || !isIP(base)) return `"${entry}" is not an IP address or CIDR range`;
  if (bits === undefined) return undefined;
  const max = isIP(base) === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return `"${entry}" has a prefix length outside 0-${max}`;
  return undefined;
}

/**
 * Builds a matcher over addresses and CIDR ranges (validated with
 * {@link addressRangeProblem}). IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`)
 * match their IPv4 ranges; malformed addresses match nothing.
 */
export function addressMatcher(entries: readonly string[]): AddressMatcher {
  const ranges = entries.map((entry) => {
    const problem = addressRangeProblem(entry);
    if (problem) throw new Error(problem);
    if (!entry.includes('/')) {
      const address = parseStrict(entry)!;
      return [address, address.kind() === 'ipv4' ? 32 : 128] as const;
    }
    const [base, bits] = ipaddr.parseCIDR(entry);
    // A mapped range (`::ffff:10.0.0.0/104`) is the IPv4 range it maps.
    if (base.kind() === 'ipv6' && (base as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) return [(base as ipaddr.IPv6).toIPv4Address(), bits - 96] as const;
    return [base, bits] as const;
  });
  return (address) => {
    const parsed = address ? parseStrict(address) : undefined;
    if (!parsed) return false;
    return ranges.some(([base, bits]) => base.kind() === parsed.kind() && parsed.match(base, bits));
  };
}

/** Normalises an address for display and counting: IPv4-mapped IPv6 becomes IPv4; invalid input is undefined. */
export function normaliseAddress(address: string | undefined): string | undefined {
  const parsed = address ? parseStrict(address.trim()) : undefined;
  return parsed?.toString();
}
