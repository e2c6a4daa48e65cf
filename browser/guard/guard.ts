import type { RefusalCode } from '../../server/kernel/protocol/browser.ts';
import { describeAddress, isIpLiteral, isPublicAddress, stripBrackets } from './address.ts';
import { normalizeHost, type AllowList } from './allow-list.ts';
import type { Answer, PinnedResolver } from './resolver.ts';

/** The guard's answer: where to connect, or why not. */
export type Verdict = { ok: true; host: string; port: number; address: string; family: 4 | 6 } | { ok: false; code: RefusalCode; reason: string };

/** What the guard needs: the allow list, the egress posture and a pinned resolver. */
export interface GuardOptions {
  allow: AllowList;
  /** NO_EXTERNAL_EGRESS=1: only allow-listed hosts and addresses, nothing public. */
  noExternalEgress: boolean;
  resolver: PinnedResolver;
}

const SCHEMES = new Set(['http:', 'https:']);

/**
 * Decides whether the sidecar may reach a URL or a host and port, and to
 * which address. The URL parser normalises every IPv4 notation (decimal
 * `2130706433`, hex `0x7f.1`, octal `0177.0.0.1`, short `127.1`) to dotted
 * form first, so one address check covers them all; names are resolved
 * through the pinned resolver and every answer must pass.
 */
export class Guard {
  constructor(private readonly options: GuardOptions) {}

  /** Checks a URL a page or a caller asked for. */
  async checkUrl(raw: string): Promise<Verdict> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return refuse('url_invalid', `not a valid URL: ${clip(raw)}`);
    }
    if (!SCHEMES.has(url.protocol))
      return refuse('scheme_refused', `only http and https URLs are fetched, not ${url.protocol.slice(0, -1) || 'this scheme'}: ${clip(raw)}`);
    if (url.hostname === '') return refuse('url_invalid', `the URL has no host: ${clip(raw)}`);
    const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
    return this.checkHost(url.hostname, port);
  }

  /** Checks a host and port (a proxy CONNECT target, or the host of a URL). */
  async checkHost(rawHost: string, port: number): Promise<Verdict> {
    if (!Number.isInteger(port) || port < 1 || port > 65535) return refuse('url_invalid', `not a valid port: ${port}`);
    const host = normalizeHost(rawHost);
    let answers: Answer[];
    if (isIpLiteral(host)) {
      answers = [{ address: stripBrackets(host), family: host.includes(':') ? 6 : 4 }];
    } else if (/^[\d.]+$|^0x/i.test(host)) {
      // A bare CONNECT target is not URL-normalised; a numeric-looking name is an IP in disguise.
      return refuse('url_invalid', `not a valid host: ${clip(host)}`);
    } else {
      try {
        answers = await this.options.resolver.lookup(host);
      } catch (err) {
        return refuse('dns_failed', `${host} does not resolve: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      if (answers.length === 0) return refuse('dns_failed', `${host} does not resolve`);
    }
    const hostListed = this.options.allow.allowsHost(host);
    for (const a of answers) {
      const problem = this.checkAddress(host, a.address, hostListed);
      if (problem) return problem;
    }
    const first = answers[0]!;
    return { ok: true, host, port, address: first.address, family: first.family };
  }

  private checkAddress(host: string, address: string, hostListed: boolean): Verdict | undefined {
    if (hostListed || this.options.allow.allowsAddress(address)) return undefined;
    const via = host === address ? '' : `${host} resolves to `;
    if (!isPublicAddress(address)) {
      return refuse(
        'address_refused',
        `${via}${describeAddress(address)}, which the sidecar does not fetch; an admin may list internal hosts in BROWSER_SERVICE_ALLOWED_INTERNAL_HOSTS`,
      );
    }
    if (this.options.noExternalEgress) {
      return refuse(
        'egress_refused',
        `NO_EXTERNAL_EGRESS=1: only hosts in BROWSER_SERVICE_ALLOWED_INTERNAL_HOSTS are fetched, and ${via}${address} is not one`,
      );
    }
    return undefined;
  }
}

function refuse(code: RefusalCode, reason: string): Verdict {
  return { ok: false, code, reason };
}

function clip(text: string): string {
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
}
