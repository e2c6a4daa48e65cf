import { BlockList, isIP } from 'node:net';
import type { Context } from 'hono';
import { unmapIPv4 } from '../kernel/net-ranges.ts';
import { peerAddress } from './client-address.ts';
import type { AppEnv } from './types.ts';

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** Tells whether an IP address is loopback (127.0.0.0/8, ::1, or 127.x mapped into IPv6). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const a = unmapIPv4(address);
  const family = isIP(a);
  return family !== 0 && loopback.check(a, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Tells whether the request's socket peer is on this machine (loopback): the
 * TCP peer itself, never a forwarded header. In-process requests (tests) have
 * no peer and therefore count as remote.
 */
export function fromLoopback(c: Context<AppEnv>): boolean {
  return isLoopbackAddress(peerAddress(c));
}
