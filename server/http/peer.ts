import { BlockList, isIP } from 'node:net';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import { unmapIPv4 } from '../lib/net-ranges.ts';
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
 * The address of the socket the request came in on: the TCP peer itself,
 * never a forwarded header. Undefined for in-process requests (tests), which
 * therefore count as remote.
 */
export function socketPeer(c: Context<AppEnv>): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
}

/** Tells whether the request's socket peer is on this machine (loopback). */
export function fromLoopback(c: Context<AppEnv>): boolean {
  return isLoopbackAddress(socketPeer(c));
}
