import type { IncomingMessage } from 'node:http';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { normaliseAddress, type AddressMatcher } from '../kernel/address-ranges.ts';
import type { AppEnv } from './types.ts';

// A chain longer than this is not from a proxy setup anyone runs; only its right end is read.
const MAX_HOPS = 20;

/**
 * The client's address from the socket peer and `X-Forwarded-For`. The
 * header is read only when the peer is a trusted proxy; then the chain is
 * walked from the right (each proxy appends its own peer) past trusted
 * proxies, and the first untrusted address is the client. Whatever stands
 * left of it was written by the client itself and is ignored. A malformed
 * hop stops the walk at the last trusted proxy.
 */
export function resolveClientAddress(peer: string | undefined, forwardedFor: string | undefined, trusted: AddressMatcher): string | undefined {
  const direct = normaliseAddress(peer);
  if (!direct || !forwardedFor || !trusted(direct)) return direct;
  const hops = forwardedFor.split(',').slice(-MAX_HOPS).reverse();
  let last = direct;
  for (const hop of hops) {
    const address = normaliseAddress(hop);
    if (!address) return last;
    if (!trusted(address)) return address;
    last = address;
  }
  return last;
}

/** The raw socket peer of a request: never a header. Undefined for in-process requests. */
export function peerAddress(c: Context): string | undefined {
  try {
    return normaliseAddress(getConnInfo(c).remote.address);
  } catch {
    return undefined; // No socket (in-process requests, tests).
  }
}

/** The client address of a request (see {@link resolveClientAddress}). */
export function clientAddress(c: Context, trusted: AddressMatcher): string | undefined {
  return resolveClientAddress(peerAddress(c), c.req.header('x-forwarded-for'), trusted);
}

/** The client address of a raw Node request (the miner WebSocket upgrade). */
export function incomingClientAddress(req: IncomingMessage, trusted: AddressMatcher): string | undefined {
  const header = req.headers['x-forwarded-for'];
  return resolveClientAddress(req.socket.remoteAddress, Array.isArray(header) ? header.join(',') : header, trusted);
}

/**
 * Sets `peer` (the socket peer, for loopback checks) and `ip` (the client,
 * for audit, sessions and throttling) on every request, once.
 */
export function clientAddresses(trusted: AddressMatcher): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const peer = peerAddress(c);
    if (peer) c.set('peer', peer);
    const ip = resolveClientAddress(peer, c.req.header('x-forwarded-for'), trusted);
    if (ip) c.set('ip', ip);
    await next();
  };
}
