import { promises as dns } from 'node:dns';

/** One answer for a name. */
export interface Answer {
  address: string;
  family: 4 | 6;
}

/** Turns a host name into its addresses; rejects when the name does not resolve. */
export type Resolve = (host: string) => Promise<Answer[]>;

/** The operating system's resolver (getaddrinfo: /etc/hosts, then the configured DNS, as Docker's embedded DNS expects). */
export const systemResolver: Resolve = async (host) => {
  const answers = await dns.lookup(host, { all: true, verbatim: true });
  return answers.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

/**
 * A resolver that asks the given DNS servers (`127.0.0.1:5353`) directly,
 * A and AAAA; BROWSER_SERVICE_DNS_SERVERS selects it.
 */
export function serverResolver(servers: string[], timeoutMs = 2000): Resolve {
  const resolver = new dns.Resolver({ timeout: timeoutMs, tries: 2 });
  resolver.setServers(servers);
  return async (host) => {
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
    const answers: Answer[] = [
      ...(v4.status === 'fulfilled' ? v4.value.map((address) => ({ address, family: 4 as const })) : []),
      ...(v6.status === 'fulfilled' ? v6.value.map((address) => ({ address, family: 6 as const })) : []),
    ];
    if (answers.length === 0) {
      const reason = v4.status === 'rejected' ? v4.reason : v6.status === 'rejected' ? v6.reason : undefined;
      throw reason instanceof Error ? reason : new Error(`${host} has no A or AAAA record`);
    }
    return answers;
  };
}

/**
 * Remembers each name's answers for `ttlMs`, so the address the guard checked
 * is the address the proxy connects to: a DNS server that changes its answer
 * between check and connect (rebinding) is not asked twice. Concurrent
 * lookups of one name share one query.
 */
export class PinnedResolver {
  private readonly cache = new Map<string, { answers: Promise<Answer[]>; expires: number }>();

  constructor(
    private readonly resolve: Resolve,
    private readonly ttlMs = 60_000,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 10_000,
  ) {}

  /** The pinned answers for a (normalised) host name. */
  lookup(host: string): Promise<Answer[]> {
    const hit = this.cache.get(host);
    if (hit && hit.expires > this.now()) return hit.answers;
    if (this.cache.size >= this.maxEntries) this.evictExpired();
    const answers = this.resolve(host);
    this.cache.set(host, { answers, expires: this.now() + this.ttlMs });
    // A failed lookup is not pinned: the next request asks again.
    answers.catch(() => {
      if (this.cache.get(host)?.answers === answers) this.cache.delete(host);
    });
    return answers;
  }

  private evictExpired(): void {
    const now = this.now();
    for (const [host, entry] of this.cache) if (entry.expires <= now) this.cache.delete(host);
    // Still full: drop the oldest pins rather than grow without bound.
    for (const host of this.cache.keys()) {
      if (this.cache.size < this.maxEntries) break;
      this.cache.delete(host);
    }
  }
}
