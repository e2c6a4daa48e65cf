import { isIP } from 'node:net';
import { formatHost, parseHost, type HostName } from '../kernel/host-names.ts';
import { isLoopbackAddress } from './peer.ts';

/** The host names this server answers to and the browser origins its forms and API accept. */
export interface HostPolicy {
  /** Tells whether a host name (as {@link parseHost} gives it; any port) is one of ours. */
  allows(name: string): boolean;
  /** The origins a state-changing browser request may come from, all from configuration. */
  origins: ReadonlySet<string>;
}

/** The settings a host policy is built from (APP_BASE_URL, ALLOWED_HOSTS, PORT, TLS_PORT and whether TLS is on). */
export interface HostSettings {
  baseUrl: string;
  allowedHosts: readonly string[];
  port: number;
  tlsPort: number;
  tls: boolean;
}

/**
 * Builds the policy from configuration alone, never from a request. The
 * names are APP_BASE_URL's host and each ALLOWED_HOSTS entry; their ports
 * do not matter for the Host check (the published port, a proxy's 443 and
 * PORT/TLS_PORT all differ, and a DNS-rebinding page cannot choose our name
 * whatever the port). Origins are exact: APP_BASE_URL's origin, and for each
 * name `scheme://name:port` for the schemes served (http; https with TLS or
 * an https APP_BASE_URL) on the entry's own port, or without one on the
 * scheme's default port and the listener's (PORT, TLS_PORT).
 */
export function hostPolicy(s: HostSettings): HostPolicy {
  const base = new URL(s.baseUrl);
  const hosts: HostName[] = [parseHost(base.hostname)!, ...s.allowedHosts.map((h) => parseHost(h)!)];
  const names = new Set(hosts.map((h) => h.name));
  const ports: Record<'http' | 'https', number[]> = { http: [80, s.port], https: [443, s.tlsPort] };
  const schemes: Array<'http' | 'https'> = s.tls || base.protocol === 'https:' ? ['http', 'https'] : ['http'];
  const origins = new Set([base.origin]);
  for (const host of hosts) {
    for (const scheme of schemes) {
      for (const port of host.port === undefined ? ports[scheme] : [host.port]) {
        if (port > 0) origins.add(new URL(`${scheme}://${formatHost(host, port)}`).origin);
      }
    }
  }
  return { allows: (name) => names.has(name), origins };
}

/**
 * Tells whether a host name can only mean this machine (`localhost`, a
 * 127.0.0.0/8 or ::1 literal): a browser sends one only for a page it
 * loaded from this machine, so it is no DNS-rebinding vector. Accepted
 * from loopback peers only (the container health check, a local shell).
 */
export function isLoopbackName(name: string): boolean {
  return name === 'localhost' || (isIP(name) !== 0 && isLoopbackAddress(name));
}
