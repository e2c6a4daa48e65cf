import * as client from 'openid-client';
import type { AuditService } from '../audit/audit.service.ts';
import type { Clock } from '../kernel/clock.ts';
import { AppError, isAppError } from '../kernel/errors.ts';
import type { Log } from '../kernel/log.ts';
import type { DirectoryAccounts, DirectorySignIn } from './directory-accounts.service.ts';
import type { GroupRules } from './group-rules.ts';
import type { LoginMeta } from './login.service.ts';
import { connectOidc, type OidcConnection } from './oidc-client.ts';
import { failureOf } from './oidc-failures.ts';
import { createFlows, FLOW_MINUTES } from './oidc-flows.ts';

export { FLOW_MINUTES };

/** OpenID Connect settings (OIDC_* in the configuration). */
export interface OidcSettings extends OidcConnection {
  scopes: string;
  displayName: string;
  claims: { email: string; name: string; groups: string };
  rules: GroupRules;
  /** Read claims from the userinfo endpoint too. */
  userinfo: boolean;
  /** APP_BASE_URL: the callback is `<base>/auth/oidc/callback`. */
  baseUrl: string;
}

/** The settings as the admin page shows them: never the client secret. */
export interface OidcSettingsView {
  issuerUrl: string;
  clientId: string;
  clientSecret: 'set' | 'unset';
  scopes: string;
  displayName: string;
  claims: { email: string; name: string; groups: string };
  adminGroups: readonly string[];
  allowedGroups: readonly string[];
  userinfo: boolean;
  metadata: 'discovery' | 'file';
  keys: 'jwks_uri' | 'file';
  redirectUri: string;
  localOnly: boolean;
}

const asString = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v.slice(0, 500) : undefined);

// A groups claim is an array of names (Keycloak, Okta, Entra ID), or one name.
function groupsOf(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((g): g is string => typeof g === 'string' && g.length > 0) : [];
}

/**
 * OpenID Connect sign-in: the authorization code flow with PKCE, state and
 * nonce; the ID token's signature, issuer, audience, authorized party,
 * expiry, issue time and nonce checked by openid-client with a small clock
 * skew; userinfo when configured; the account from {@link DirectoryAccounts}.
 * The provider is reached lazily, so the server starts while it is down.
 */
export function createOidc(deps: { settings: OidcSettings; directory: DirectoryAccounts; audit: AuditService; clock: Clock; log?: Log | undefined }) {
  const { settings: s, directory, audit, clock, log } = deps;
  const flows = createFlows(clock);
  const redirectUri = new URL('/auth/oidc/callback', s.baseUrl).href;
  let connecting: Promise<client.Configuration> | undefined;

  // One connection shared by every sign-in; a failed one is dropped so the next sign-in tries again.
  const connection = () => {
    connecting ??= connectOidc(s).catch((err: unknown) => {
      connecting = undefined;
      throw err;
    });
    return connecting;
  };

  const fail = (reason: string, message: string, meta: LoginMeta, extra: Record<string, unknown> = {}): never => {
    audit.record({ actor: { label: 'anonymous' }, action: 'auth.sso_login', outcome: 'failure', ip: meta.ip, details: { provider: 'oidc', reason, ...extra } });
    throw new AppError('sso_failed', message, { reason });
  };

  return {
    /** The provider's name on the sign-in page. */
    displayName: s.displayName,
    /** The provider's origin: where sign-in and sign-out send the browser. */
    providerOrigin: new URL(s.issuerUrl).origin,

    /**
     * Starts a sign-in: remembers state, nonce and PKCE verifier, and returns
     * the provider's authorization URL and the flow id for the browser's cookie.
     */
    async begin(next: string): Promise<{ url: string; flowId: string }> {
      const config = await connection();
      const codeVerifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: s.scopes,
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      return { url: url.href, flowId: flows.start({ state, nonce, codeVerifier, next }) };
    },

    /**
     * Finishes a sign-in from the provider's redirect (its query): checks it belongs to
     * the flow this browser started, redeems the code, checks the ID token,
     * and signs the user in. Each failure is audited with its reason and
     * answered `sso_failed`; group and seat refusals keep their own codes.
     */
    async finish(query: URLSearchParams, flowId: string | undefined, meta: LoginMeta): Promise<DirectorySignIn & { next: string }> {
      // The registered callback URL with the provider's parameters: behind a proxy the request's own URL may differ.
      const currentUrl = new URL(redirectUri);
      currentUrl.search = query.toString();
      const flow = flows.take(flowId);
      if (!flow) fail('bad_state', 'this sign-in was not started in this browser, or took too long; start again', meta);
      const providerError = asString(currentUrl.searchParams.get('error'));
      if (providerError) {
        fail('provider_error', `the provider refused the sign-in (${providerError.replace(/[^\w.-]/g, '').slice(0, 60)})`, meta, {
          error: providerError.slice(0, 100),
        });
      }
      const config = await connection();
      let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
      try {
        tokens = await client.authorizationCodeGrant(config, currentUrl, {
          pkceCodeVerifier: flow!.codeVerifier,
          expectedState: flow!.state,
          expectedNonce: flow!.nonce,
          idTokenExpected: true,
        });
      } catch (err) {
        const f = failureOf(err);
        log?.warn({ reason: f.reason, err: String((err as Error).cause ?? err) }, 'OpenID Connect sign-in failed');
        return fail(f.reason, f.message, meta);
      }
      const idClaims = tokens.claims()!;
      let claims: Record<string, unknown> = { ...idClaims };
      if (s.userinfo) {
        try {
          claims = { ...claims, ...(await client.fetchUserInfo(config, tokens.access_token, idClaims.sub)), sub: idClaims.sub };
        } catch (err) {
          return fail('userinfo_failed', `the provider's userinfo endpoint failed (${failureOf(err).message})`, meta);
        }
      }
      const signIn = directory.signIn(
        {
          provider: 'oidc',
          issuer: idClaims.iss,
          subject: idClaims.sub,
          email: asString(claims[s.claims.email]),
          name: asString(claims[s.claims.name]),
          groups: groupsOf(claims[s.claims.groups]),
          label: asString(claims.preferred_username) ?? asString(claims[s.claims.email]),
        },
        s.rules,
        { ...meta, method: 'oidc' },
      );
      return { ...signIn, next: flow!.next };
    },

    /** Where to send the browser after a local sign-out: the provider's end-session endpoint, when it has one. */
    async endSessionUrl(): Promise<string | undefined> {
      try {
        const config = await connection();
        if (!config.serverMetadata().end_session_endpoint) return undefined;
        return client.buildEndSessionUrl(config, { client_id: s.clientId, post_logout_redirect_uri: new URL('/login', s.baseUrl).href }).href;
      } catch (err) {
        if (!isAppError(err)) throw err;
        return undefined; // the provider is down: the local session is ended all the same
      }
    },

    /** The settings, for the admin page. */
    describe(): OidcSettingsView {
      return {
        issuerUrl: s.issuerUrl,
        clientId: s.clientId,
        clientSecret: s.clientSecret ? 'set' : 'unset',
        scopes: s.scopes,
        displayName: s.displayName,
        claims: s.claims,
        adminGroups: s.rules.adminGroups,
        allowedGroups: s.rules.allowedGroups,
        userinfo: s.userinfo,
        metadata: s.discoveryFile ? 'file' : 'discovery',
        keys: s.jwksFile ? 'file' : 'jwks_uri',
        redirectUri,
        localOnly: s.localOnly,
      };
    },
  };
}

/** The OpenID Connect sign-in service. */
export type OidcService = ReturnType<typeof createOidc>;
