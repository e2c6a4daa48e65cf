import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOidcProvider } from '../helpers/oidc-provider.ts';
import type { Tamper, TestProvider } from '../helpers/oidc-provider.ts';

/*
 * The OpenID provider harness itself, driven by openid-client as a relying party would: if
 * the harness breaks, this says so here rather than as a puzzling failure in a sign-in test.
 */

// Nothing listens here: signIn returns the redirect to it without following it.
const REDIRECT = 'http://127.0.0.1:9/callback';
const SIGNED_OUT = 'http://127.0.0.1:9/signed-out';

let op: TestProvider;
let config: client.Configuration;

const discover = (...execute: Array<(c: client.Configuration) => void>) =>
  client.discovery(new URL(op.issuer), op.clientId, op.clientSecret, undefined, { execute: [client.allowInsecureRequests, ...execute] });

/** One authorization-code flow with PKCE, state and nonce; the grant's tokens, or its error. */
async function signIn(subject: string, cfg = config) {
  const pkceCodeVerifier = client.randomPKCECodeVerifier();
  const expectedState = client.randomState();
  const expectedNonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(cfg, {
    redirect_uri: REDIRECT,
    scope: 'openid email profile groups',
    state: expectedState,
    nonce: expectedNonce,
    code_challenge: await client.calculatePKCECodeChallenge(pkceCodeVerifier),
    code_challenge_method: 'S256',
  });
  const back = await op.signIn(url.href, subject);
  return client.authorizationCodeGrant(cfg, new URL(back), { pkceCodeVerifier, expectedState, expectedNonce });
}

beforeAll(async () => {
  op = await startOidcProvider({
    redirectUris: [REDIRECT],
    postLogoutRedirectUris: [SIGNED_OUT],
    users: { alice: { email: 'alice@example.test', name: 'Alice', groups: ['staff'] } },
  });
  config = await discover();
});

afterAll(async () => {
  await op?.stop();
});

describe('the OpenID provider harness', () => {
  it('signs a user in with the code flow, the groups in the ID token and userinfo', async () => {
    expect(op.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const tokens = await signIn('alice');
    expect(tokens.claims()).toMatchObject({
      iss: op.issuer,
      aud: op.clientId,
      sub: 'alice',
      email: 'alice@example.test',
      email_verified: true,
      name: 'Alice',
      preferred_username: 'alice',
      groups: ['staff'],
    });
    expect(await client.fetchUserInfo(config, tokens.access_token, 'alice')).toMatchObject({ groups: ['staff'] });
  });

  it('reads the groups afresh at each sign-in', async () => {
    op.users.get('alice')!.groups = ['staff', 'admins'];
    expect((await signIn('alice')).claims()?.groups).toEqual(['staff', 'admins']);
  });

  it('refuses an unknown subject and a request without PKCE back at the redirect URI', async () => {
    const withoutPkce = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', state: 's' });
    expect(new URL(await op.signIn(withoutPkce.href, 'alice')).searchParams.get('error')).toBe('invalid_request');
    await expect(signIn('mallory')).rejects.toMatchObject({ error: 'access_denied' });
  });

  it.each<[Tamper, string]>([
    ['other-key', 'JWT signature verification failed'],
    ['expired', '"exp" (expiration time)'],
    ['nonce', '"nonce" claim value'],
    ['audience', '"aud" (audience)'],
    ['issuer', '"iss" (issuer)'],
  ])('alters the ID token while tamper is %s', async (mode, why) => {
    // Over TLS a client may skip the ID token's signature (OIDC Core 3.1.3.7); only non-repudiation checks fetch the JWKS.
    const cfg = mode === 'other-key' ? await discover(client.enableNonRepudiationChecks) : config;
    op.tamper = mode;
    try {
      const error = await signIn('alice', cfg).then(
        () => undefined,
        (e: unknown) => e as Error & { cause?: Error },
      );
      expect(error?.cause?.message).toContain(why);
    } finally {
      op.tamper = undefined;
    }
    expect((await signIn('alice', cfg)).claims()?.sub).toBe('alice');
  });

  it('hands out its discovery and JWKS without counting them as requests', async () => {
    const before = op.requests.length;
    const discovery = await op.discovery();
    const jwks = (await op.jwks()) as { keys: Array<Record<string, unknown>> };
    expect(op.requests.length).toBe(before);
    expect(discovery).toMatchObject({ issuer: op.issuer, jwks_uri: `${op.issuer}/jwks`, end_session_endpoint: `${op.issuer}/session/end` });
    expect(discovery.scopes_supported).toEqual(['openid', 'email', 'profile', 'groups']);
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });

  it('ends the session at the end_session endpoint, back to a registered post-logout URI', async () => {
    const tokens = await signIn('alice');
    const url = client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: SIGNED_OUT, state: 'bye' });
    // Without the browser's session cookie there is no one to ask: the page posts itself at once,
    // under a fresh session (its cookie) whose xsrf secret the form carries.
    const res = await fetch(url, { redirect: 'manual' });
    const cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const page = await res.text();
    const action = /action="([^"]+)"/.exec(page)?.[1] ?? '';
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
    const confirm = await fetch(action, { method: 'POST', redirect: 'manual', headers: { cookie }, body: new URLSearchParams({ xsrf, logout: 'yes' }) });
    expect(confirm.status).toBe(303);
    expect(confirm.headers.get('location')).toBe(`${SIGNED_OUT}?state=bye`);
  });
});
