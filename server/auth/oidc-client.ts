import { readFileSync } from 'node:fs';
import * as client from 'openid-client';
import { z } from 'zod';
import { assertLocalEndpoint, type Resolver } from '../kernel/egress.ts';
import { AppError } from '../kernel/errors.ts';
import { isLoopbackHost } from '../kernel/net-ranges.ts';

/** How Onsite reaches its OpenID provider (from OIDC_* in the configuration). */
export interface OidcConnection {
  issuerUrl: string;
  clientId: string;
  clientSecret?: string | undefined;
  /** Air-gapped: the provider's metadata instead of discovery. */
  discoveryFile?: string | undefined;
  /** Air-gapped: the provider's public keys instead of its jwks_uri. */
  jwksFile?: string | undefined;
  clockSkewS: number;
  /** NO_EXTERNAL_EGRESS=1: every address the server fetches must be loopback or private. */
  localOnly: boolean;
  resolve?: Resolver | undefined;
  timeoutS: number;
}

const MAX_FILE_BYTES = 1024 * 1024;

// The fields of provider metadata Onsite relies on; the rest passes through untouched.
const metadataSchema = z.looseObject({
  issuer: z.string().min(1),
  authorization_endpoint: z.url(),
  token_endpoint: z.url(),
  jwks_uri: z.url().optional(),
  userinfo_endpoint: z.url().optional(),
  end_session_endpoint: z.url().optional(),
});
const jwksSchema = z.looseObject({ keys: z.array(z.looseObject({ kty: z.string() })).min(1) });

function readJsonFile<T>(path: string, what: string, schema: z.ZodType<T>): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new AppError('sso_not_configured', `${what}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (text.length > MAX_FILE_BYTES) throw new AppError('sso_not_configured', `${what}: ${path} is larger than 1 MiB`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AppError('sso_not_configured', `${what}: ${path} is not JSON`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new AppError('sso_not_configured', `${what}: ${path} is not valid (${parsed.error.issues[0]?.message ?? 'invalid'})`);
  return parsed.data;
}

const sameIssuer = (a: string, b: string) => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

/**
 * Builds openid-client's configuration: by discovery, or from the local
 * metadata and key files of an air-gapped site. Every fetch the server makes
 * (discovery, token, userinfo, keys) goes through one function that refuses
 * non-local addresses under NO_EXTERNAL_EGRESS and serves the local key
 * file in place of the jwks_uri. ID token signatures are always checked
 * against the provider's keys, not only trusted for having come over TLS.
 */
export async function connectOidc(c: OidcConnection): Promise<client.Configuration> {
  const issuer = new URL(c.issuerUrl);
  // Plain HTTP only to this machine (a provider in a test or beside the server); anywhere else it would expose codes and tokens.
  const insecure = issuer.protocol === 'http:';
  if (insecure && !isLoopbackHost(issuer.hostname)) throw new AppError('sso_not_configured', 'OIDC_ISSUER_URL must be https:// unless it is on this machine');
  const jwks = c.jwksFile ? readJsonFile(c.jwksFile, 'OIDC_JWKS_FILE', jwksSchema) : undefined;
  // Known once the metadata is read; the fetch function below is built before that.
  const local: { jwksUri?: string | undefined } = {};

  const fetchFn: client.CustomFetch = async (url, options) => {
    if (jwks && local.jwksUri && url === local.jwksUri) {
      return new Response(JSON.stringify(jwks), { status: 200, headers: { 'content-type': 'application/json' } });
    }
    if (c.localOnly) await assertLocalEndpoint(url, c.resolve);
    return fetch(url, { ...options, signal: options.signal ?? AbortSignal.timeout(c.timeoutS * 1000) } as RequestInit);
  };

  const metadata: Partial<client.ClientMetadata> = {
    [client.clockTolerance]: c.clockSkewS,
    ...(c.clientSecret ? { client_secret: c.clientSecret } : {}),
  };
  const auth = c.clientSecret ? client.ClientSecretBasic(c.clientSecret) : client.None();
  let config: client.Configuration;
  if (c.discoveryFile) {
    const server = readJsonFile(c.discoveryFile, 'OIDC_DISCOVERY_FILE', metadataSchema);
    if (!sameIssuer(server.issuer, c.issuerUrl))
      throw new AppError('sso_not_configured', `OIDC_DISCOVERY_FILE names issuer ${server.issuer}, not OIDC_ISSUER_URL ${c.issuerUrl}`);
    if (jwks && !server.jwks_uri) server.jwks_uri = new URL('/.onsite-local-jwks', c.issuerUrl).href;
    config = new client.Configuration(server as client.ServerMetadata, c.clientId, metadata, auth);
    config[client.customFetch] = fetchFn;
  } else {
    if (c.localOnly) await assertLocalEndpoint(c.issuerUrl, c.resolve);
    try {
      config = await client.discovery(issuer, c.clientId, metadata, auth, {
        [client.customFetch]: fetchFn,
        timeout: c.timeoutS,
        ...(insecure ? { execute: [client.allowInsecureRequests] } : {}),
      });
    } catch (err) {
      throw new AppError('sso_failed', `the OpenID provider at ${c.issuerUrl} did not answer discovery (${(err as Error).message})`, {
        reason: 'provider_unreachable',
      });
    }
  }
  if (insecure) client.allowInsecureRequests(config);
  config.timeout = c.timeoutS;
  local.jwksUri = config.serverMetadata().jwks_uri;
  if (!local.jwksUri) throw new AppError('sso_not_configured', 'the OpenID provider publishes no jwks_uri; give its keys in OIDC_JWKS_FILE');
  client.enableNonRepudiationChecks(config);
  return config;
}
