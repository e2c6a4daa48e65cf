import type { OidcSettings } from '../auth/oidc.service.ts';
import type { Config } from '../config.ts';
import type { Resolver } from '../kernel/egress.ts';

/** OpenID Connect settings from the configuration; undefined when OIDC_ISSUER_URL is not set. */
export function oidcSettingsOf(config: Config, resolve?: Resolver): OidcSettings | undefined {
  if (!config.OIDC_ISSUER_URL || !config.OIDC_CLIENT_ID) return undefined;
  return {
    issuerUrl: config.OIDC_ISSUER_URL,
    clientId: config.OIDC_CLIENT_ID,
    clientSecret: config.OIDC_CLIENT_SECRET,
    discoveryFile: config.OIDC_DISCOVERY_FILE,
    jwksFile: config.OIDC_JWKS_FILE,
    clockSkewS: config.OIDC_CLOCK_SKEW_S,
    localOnly: config.NO_EXTERNAL_EGRESS,
    resolve,
    timeoutS: 10,
    scopes: config.OIDC_SCOPES,
    displayName: config.OIDC_DISPLAY_NAME,
    claims: { email: config.OIDC_EMAIL_CLAIM, name: config.OIDC_NAME_CLAIM, groups: config.OIDC_GROUPS_CLAIM },
    rules: { adminGroups: config.OIDC_ADMIN_GROUPS, allowedGroups: config.OIDC_ALLOWED_GROUPS },
    userinfo: config.OIDC_USERINFO,
    baseUrl: config.APP_BASE_URL,
  };
}
