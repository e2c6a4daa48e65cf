import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { AppError } from './errors.ts';
import { isLoopbackOrPrivate } from './net-ranges.ts';

/** Resolves a host name to every address it has. */
export type Resolver = (host: string) => Promise<string[]>;

const systemResolver: Resolver = async (host) => (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * Refuses (`egress_refused`) an endpoint outside the local network: every
 * address its host resolves to must be loopback or private. Used when
 * `NO_EXTERNAL_EGRESS=1` for operator-configured endpoints.
 */
export async function assertLocalEndpoint(url: string, resolve: Resolver = systemResolver): Promise<void> {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : await resolve(host);
  } catch (err) {
    throw new AppError(
      'egress_refused',
      `${host} does not resolve (${(err as NodeJS.ErrnoException).code ?? 'error'}); with NO_EXTERNAL_EGRESS=1 the endpoint must be a local address`,
    );
  }
  const outside = addresses.filter((a) => !isLoopbackOrPrivate(a));
  if (addresses.length === 0 || outside.length > 0) {
    throw new AppError('egress_refused', `${host} resolves to ${outside.join(', ') || 'nothing'}, outside the local network; NO_EXTERNAL_EGRESS=1 forbids it`);
  }
}
