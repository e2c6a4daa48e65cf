import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { SignJWT, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey, JWK, JWTPayload } from 'jose';

/*
 * A real OpenID provider (panva's certified oidc-provider) inside the test process, on
 * 127.0.0.1 only: sign-in with Onsite's OIDC code is tested against the same protocol
 * engine a customer's IdP speaks, not against a mock that agrees with our own reading of
 * the spec. Nothing here sends a packet anywhere but the loopback address: the default
 * pages of oidc-provider (which @import Google Fonts) are all replaced, and signIn refuses
 * to follow a redirect off the provider's own origin.
 */

/** A user the provider knows, keyed by subject in {@link TestProvider.users}. */
export interface ProviderUser {
  email: string;
  name: string;
  groups: string[];
  /** Defaults to true. */
  emailVerified?: boolean;
}

/** How the id_token of the next token responses is altered (see {@link TestProvider.tamper}). */
export type Tamper = 'other-key' | 'expired' | 'nonce' | 'audience' | 'issuer';

/** A running provider; see {@link startOidcProvider}. */
export interface TestProvider {
  /** The issuer identifier, `http://127.0.0.1:PORT` (no trailing slash). */
  issuer: string;
  /** A confidential client: client_secret_basic or client_secret_post, PKCE S256 required, code flow only. */
  clientId: string;
  clientSecret: string;
  /** The accounts, keyed by subject (the accountId). Read at every sign-in and userinfo call, so tests may change groups in between. */
  users: Map<string, ProviderUser>;
  /**
   * While set, the id_token of every token-endpoint response is altered:
   * - `other-key`: re-signed by a key not in the JWKS, under the real key's kid;
   * - `expired`: re-signed by the real key with exp an hour ago (iat two hours ago);
   * - `nonce`, `audience`, `issuer`: re-signed by the real key with that claim changed.
   */
  tamper: undefined | Tamper;
  /** The discovery document (/.well-known/openid-configuration), e.g. for OIDC_DISCOVERY_FILE. Not counted in {@link requests}. */
  discovery(): Promise<Record<string, unknown>>;
  /** The public JWKS the jwks_uri serves, e.g. for OIDC_JWKS_FILE. Not counted in {@link requests}. */
  jwks(): Promise<Record<string, unknown>>;
  /** The paths (no query) of every request the provider served, in order: proves what a client did or did not fetch. */
  requests: string[];
  /**
   * Signs `subject` in over plain HTTP, as a browser would (its own cookie jar, each redirect
   * followed by hand): loads the authorization URL, submits the login form, consent is
   * granted by itself, and returns the first Location that points at one of the client's
   * redirect URIs (`?code=…&state=…`, or `?error=…`). An unknown subject ends in
   * `error=access_denied`. Throws on any other page (an error page, a redirect off the provider).
   */
  signIn(authorizationUrl: string, subject: string): Promise<string>;
  /** Closes the server and every open socket. */
  stop(): Promise<void>;
}

/** Options of {@link startOidcProvider}. */
export interface OidcProviderOptions {
  /** The client's registered redirect URIs (exact match). */
  redirectUris: string[];
  /** The client's registered post_logout_redirect_uris for RP-initiated logout. */
  postLogoutRedirectUris?: string[];
  /** The initial accounts, by subject. */
  users?: Record<string, ProviderUser>;
  /** The name of the groups claim (scope `groups`); default `groups`. */
  groupsClaim?: string;
}

// oidc-provider ships no type declarations (nor is @types/oidc-provider a dependency):
// these are the few members this file uses, as its source (lib/provider.js) defines them.
interface KoaContext {
  path: string;
  method: string;
  status: number;
  body: unknown;
}
interface InteractionDetails {
  uid: string;
  prompt: { name: string; details: Record<string, unknown> };
  params: Record<string, unknown>;
  session?: { accountId: string };
  grantId?: string;
}
interface Grant {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  addResourceScope(indicator: string, scope: string): void;
  save(): Promise<string>;
}
interface Provider {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  use(middleware: (ctx: KoaContext, next: () => Promise<void>) => Promise<void>): void;
  on(event: string, listener: (...args: unknown[]) => void): void;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
  interactionFinished(req: IncomingMessage, res: ServerResponse, result: Record<string, unknown>, o?: { mergeWithLastSubmission?: boolean }): Promise<void>;
  Grant: {
    new (init: { accountId: string; clientId: string }): Grant;
    find(id: string): Promise<Grant | undefined>;
  };
}
type ProviderClass = new (issuer: string, configuration: Record<string, unknown>) => Provider;

let loaded: Promise<ProviderClass> | undefined;

/**
 * Imports oidc-provider once. Its index warns on every Node but an LTS from 22 on
 * ("Unsupported runtime"), and Onsite runs on Node 20 (where it works: it needs URL.parse
 * and crypto.hash, both in 20.19): that one line, printed at import, is dropped; any other
 * warning still reaches the console.
 */
function loadProvider(): Promise<ProviderClass> {
  loaded ??= (async () => {
    const warn = console.warn;
    console.warn = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].includes('oidc-provider WARNING: Unsupported runtime')) return;
      warn(...args);
    };
    try {
      // @ts-expect-error -- untyped module (see the interfaces above)
      const module = (await import('oidc-provider')) as { default: ProviderClass };
      return module.default;
    } finally {
      console.warn = warn;
    }
  })();
  return loaded;
}

type Payload = Record<string, unknown> & { grantId?: string; uid?: string; consumed?: number };

// The models oidc-provider's own memory adapter revokes by grant (lib/adapters/memory_adapter.js).
const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PreAuthorizedCode']);

/**
 * A storage adapter over one Map per provider. oidc-provider's built-in memory adapter would
 * do, but it prints a "development-only" warning at every construction; this is the same
 * contract (lib/adapters/memory_adapter.js), and each provider's state dies with it.
 */
function adapterFor(): new (model: string) => object {
  const store = new Map<string, { payload: Payload; expiresAt: number }>();
  const sessionIds = new Map<string, string>();
  const read = (key: string): Payload | undefined => {
    const entry = store.get(key);
    if (entry && entry.expiresAt <= Date.now()) store.delete(key);
    return entry && entry.expiresAt > Date.now() ? entry.payload : undefined;
  };
  return class Adapter {
    constructor(private readonly model: string) {}
    private key(id: string): string {
      return `${this.model}:${id}`;
    }
    async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
      store.set(this.key(id), { payload, expiresAt: expiresIn === undefined ? Infinity : Date.now() + expiresIn * 1000 });
      if (this.model === 'Session' && typeof payload.uid === 'string') sessionIds.set(payload.uid, id);
    }
    async find(id: string): Promise<Payload | undefined> {
      return read(this.key(id));
    }
    async findByUid(uid: string): Promise<Payload | undefined> {
      const id = sessionIds.get(uid);
      return id === undefined ? undefined : read(this.key(id));
    }
    async findByUserCode(_userCode: string): Promise<Payload | undefined> {
      return undefined; // the device flow is off
    }
    async consume(id: string): Promise<void> {
      const payload = read(this.key(id));
      if (payload) payload.consumed = Math.floor(Date.now() / 1000);
    }
    async destroy(id: string): Promise<void> {
      store.delete(this.key(id));
    }
    async revokeByGrantId(grantId: string): Promise<void> {
      for (const [key, { payload }] of store) if (GRANTABLE.has(key.slice(0, key.indexOf(':'))) && payload.grantId === grantId) store.delete(key);
    }
  };
}

const html = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string): string {
  // No external stylesheet, font or script: a Chromium showing this page stays on loopback.
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${html(title)}</title></head><body>${body}</body></html>`;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * Starts an OpenID provider on 127.0.0.1 (a free port) with one confidential client whose
 * redirect URIs are `opts.redirectUris`. Scopes `openid email profile groups`; the ID token
 * itself carries email, email_verified, name, preferred_username and the groups claim
 * (as userinfo does), so a client that never calls userinfo still sees the groups.
 */
export async function startOidcProvider(opts: OidcProviderOptions): Promise<TestProvider> {
  const ProviderClass = await loadProvider();
  const groupsClaim = opts.groupsClaim ?? 'groups';
  const users = new Map(Object.entries(opts.users ?? {}));
  const clientId = 'onsite-test';
  const clientSecret = randomBytes(24).toString('base64url');
  const requests: string[] = [];
  // Marks the harness's own discovery()/jwks() reads, which are not the client's and so are not recorded.
  const internal = randomBytes(16).toString('hex');

  // Extractable, so exportJWK can hand oidc-provider the private JWK (it derives the public JWKS itself).
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomBytes(8).toString('hex');
  const signingJwk: JWK = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };

  const server = createServer();
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const provider = new ProviderClass(issuer, {
    adapter: adapterFor(),
    jwks: { keys: [signingJwk] },
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: opts.redirectUris,
        post_logout_redirect_uris: opts.postLogoutRedirectUris ?? [],
        response_types: ['code'],
        grant_types: ['authorization_code'],
        // Either basic or post authenticates a client registered with either (lib/shared/client_auth.js).
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'RS256',
      },
    ],
    // Only what the claims below define (openid email profile groups): no offline_access, so no refresh tokens.
    scopes: ['openid'],
    responseTypes: ['code'],
    pkce: { required: () => true }, // S256 is the only method oidc-provider 9 knows
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
      groups: [groupsClaim],
    },
    // By default a code flow's ID token carries only sub and friends, the rest going to
    // userinfo (OIDC Core 5.4); Onsite reads the groups from the ID token, as many IdPs send them.
    conformIdTokenClaims: false,
    async findAccount(_ctx: unknown, sub: string) {
      if (!users.has(sub)) return undefined;
      return {
        accountId: sub,
        // Read at each call, so a test that changes a user's groups sees them at the next sign-in.
        async claims() {
          const user = users.get(sub);
          if (!user) return { sub };
          return {
            sub,
            email: user.email,
            email_verified: user.emailVerified ?? true,
            name: user.name,
            preferred_username: sub,
            [groupsClaim]: [...user.groups],
          };
        },
      };
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    cookies: {
      // A browser keeps cookies per host, not per port: the provider and the Onsite under test
      // share 127.0.0.1, so the provider's cookies get names of their own. Over http they are
      // not Secure by themselves (oidc-provider sets Secure only when ctx.secure), so no proxy setting is needed.
      names: { session: 'op_session', interaction: 'op_interaction', resume: 'op_interaction_resume' },
      keys: [randomBytes(32).toString('base64url')],
    },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        // The confirmation page submits itself (logout=yes ends the whole session), so a
        // browser test needs no click; the button is there for a browser without script.
        async logoutSource(ctx: KoaContext, form: string) {
          const withLogout = form.replace('</form>', '<input type="hidden" name="logout" value="yes"/></form>');
          ctx.body = page('Sign out', `${withLogout}<button type="submit" form="op.logoutForm">Sign out</button><script>document.forms[0].submit()</script>`);
        },
        async postLogoutSuccessSource(ctx: KoaContext) {
          ctx.body = page('Signed out', '<h1>Signed out</h1>');
        },
      },
    },
    async renderError(ctx: KoaContext, out: Record<string, unknown>) {
      ctx.body = page('Error', `<h1>${html(String(out.error))}</h1><p>${html(String(out.error_description ?? ''))}</p>`);
    },
    clientBasedCORS: () => false,
    // Short, but long enough for a slow CI machine to get through a browser sign-in.
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      IdToken: 600,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
      RefreshToken: 3600,
      ClientCredentials: 600,
      DeviceCode: 600,
      BackchannelAuthenticationRequest: 600,
      PreAuthorizedCode: 600,
    },
  });

  // oidc-provider turns an exception of its own into a quiet 500 server_error: say it, so a
  // failing test shows why.
  provider.on('server_error', (_ctx, err) => console.error('oidc-provider server_error:', err));

  const test: TestProvider = {
    issuer,
    clientId,
    clientSecret,
    users,
    tamper: undefined,
    requests,
    discovery: () => internalJson('/.well-known/openid-configuration'),
    jwks: () => internalJson('/jwks'),
    signIn: (authorizationUrl, subject) => signIn(issuer, opts.redirectUris, authorizationUrl, subject),
    stop,
  };

  let otherKey: CryptoKey | undefined;
  provider.use(async (ctx, next) => {
    await next();
    const mode = test.tamper;
    const body = ctx.body as { id_token?: unknown } | undefined;
    if (!mode || ctx.path !== '/token' || ctx.status !== 200 || typeof body?.id_token !== 'string') return;
    const header = decodeProtectedHeader(body.id_token);
    const claims: JWTPayload = { ...decodeJwt(body.id_token) };
    const now = Math.floor(Date.now() / 1000);
    let key: CryptoKey = privateKey;
    switch (mode) {
      case 'other-key':
        otherKey ??= (await generateKeyPair('RS256')).privateKey;
        key = otherKey;
        break;
      case 'expired':
        claims.exp = now - 3600;
        claims.iat = now - 7200;
        break;
      case 'nonce':
        claims.nonce = `${String(claims.nonce ?? '')}-not-this-one`;
        break;
      case 'audience':
        claims.aud = 'another-client';
        break;
      case 'issuer':
        claims.iss = `${issuer}/another-issuer`;
        break;
    }
    ctx.body = { ...body, id_token: await new SignJWT(claims).setProtectedHeader({ ...header, alg: 'RS256', kid }).sign(key) };
  });

  const callback = provider.callback();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', issuer).pathname;
    if (req.headers['x-test-harness'] !== internal) requests.push(path);
    const match = /^\/interaction\/([^/]+)(\/login)?$/.exec(path);
    if (!match) return callback(req, res);
    interaction(req, res, match[1]!, match[2] !== undefined).catch((err: unknown) => {
      if (!res.headersSent) {
        res.statusCode = 400;
        res.setHeader('content-type', 'text/html; charset=utf-8');
      }
      res.end(page('Error', `<h1>interaction failed</h1><p>${html(String(err))}</p>`));
    });
  });

  /** The interaction pages: the login form (GET), its submission (POST …/login), and consent, granted as soon as it is asked. */
  async function interaction(req: IncomingMessage, res: ServerResponse, uid: string, isLoginPost: boolean): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) throw new Error('interaction cookie is for another interaction');
    const { name } = details.prompt;
    if (isLoginPost) {
      if (req.method !== 'POST' || name !== 'login') throw new Error(`unexpected ${req.method} for prompt ${name}`);
      const login = new URLSearchParams(await readBody(req)).get('login') ?? '';
      const result = users.has(login) ? { login: { accountId: login } } : { error: 'access_denied', error_description: `no user ${JSON.stringify(login)}` };
      return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
    }
    if (name === 'login') {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(
        page(
          'Sign in',
          `<h1>Sign in</h1><form method="post" action="/interaction/${html(uid)}/login" autocomplete="off">` +
            `<label>Subject <input name="login" autofocus></label> <button type="submit">Sign in</button></form>`,
        ),
      );
      return;
    }
    if (name !== 'consent') throw new Error(`unexpected prompt ${name}`);
    // Consent as oidc-provider's own example grants it: exactly what the prompt found missing.
    const { accountId } = details.session!;
    const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId, clientId: String(details.params.client_id) });
    if (!grant) throw new Error('grant not found');
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: details.grantId ? {} : { grantId } }, { mergeWithLastSubmission: true });
  }

  async function internalJson(path: string): Promise<Record<string, unknown>> {
    const res = await fetch(`${issuer}${path}`, { headers: { 'x-test-harness': internal } });
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
    return (await res.json()) as Record<string, unknown>;
  }

  function stop(): Promise<void> {
    return new Promise((resolve) => {
      server.close(() => resolve());
      // Keep-alive sockets (fetch pools them) would hold close() open: end them now.
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
    });
  }

  return test;
}

interface Cookie {
  name: string;
  value: string;
  path: string;
}

/** A cookie jar that honours Path and deletion: oidc-provider scopes its interaction cookies to /interaction/UID and /auth/UID. */
class CookieJar {
  private readonly cookies: Cookie[] = [];

  store(setCookies: string[], url: URL): void {
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = url.pathname.slice(0, url.pathname.lastIndexOf('/')) || '/';
      let expired = value === '';
      for (const attribute of attributes) {
        const [key = '', v = ''] = attribute.split('=');
        if (key.toLowerCase() === 'path') path = v;
        if (key.toLowerCase() === 'max-age' && Number(v) <= 0) expired = true;
        if (key.toLowerCase() === 'expires' && Date.parse(v) <= Date.now()) expired = true;
      }
      const at = this.cookies.findIndex((c) => c.name === name && c.path === path);
      if (at >= 0) this.cookies.splice(at, 1);
      if (!expired) this.cookies.push({ name, value, path });
    }
  }

  header(url: URL): string {
    const p = url.pathname;
    const matches = (c: Cookie) => p === c.path || (p.startsWith(c.path) && (c.path.endsWith('/') || p[c.path.length] === '/'));
    return this.cookies
      .filter(matches)
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }
}

/** See {@link TestProvider.signIn}. */
async function signIn(issuer: string, redirectUris: string[], authorizationUrl: string, subject: string): Promise<string> {
  const origin = new URL(issuer).origin;
  const jar = new CookieJar();
  const isRedirectUri = (url: URL) => redirectUris.some((r) => `${url.origin}${url.pathname}` === r.replace(/[?#].*$/, ''));
  const send = async (url: URL, form?: Record<string, string>) => {
    // Never a packet off the provider: a redirect elsewhere is a failure, not a hop.
    if (url.origin !== origin) throw new Error(`signIn: refusing to request ${url.href} (not the provider)`);
    const headers: Record<string, string> = {};
    const cookie = jar.header(url);
    if (cookie) headers.cookie = cookie;
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(url, { method: form ? 'POST' : 'GET', headers, body: form ? new URLSearchParams(form) : null, redirect: 'manual' });
    jar.store(res.headers.getSetCookie(), url);
    return res;
  };

  let url = new URL(authorizationUrl);
  let res = await send(url);
  for (let hop = 0; hop < 20; hop++) {
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel();
      url = new URL(location, url);
      if (isRedirectUri(url)) return url.href;
      res = await send(url);
      continue;
    }
    const text = await res.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(text)?.[1];
    if (res.status === 200 && action && /<input[^>]*name="login"/.test(text)) {
      url = new URL(action.replace(/&amp;/g, '&'), url);
      res = await send(url, { login: subject });
      continue;
    }
    throw new Error(
      `signIn: HTTP ${res.status} at ${url.pathname}: ${text
        .replace(/<[^>]+>/g, ' ')
        .trim()
        .slice(0, 300)}`,
    );
  }
  throw new Error('signIn: too many redirects');
}
