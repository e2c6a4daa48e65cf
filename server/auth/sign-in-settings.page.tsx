/** @jsxImportSource hono/jsx */
import type { Caller } from '../http/types.ts';
import { Field, Notice } from '../ui/components.tsx';
import { CsrfField, Layout } from '../ui/layout.tsx';
import type { IdentityView } from './directory-accounts.service.ts';
import type { SignInSettingsView } from './identity.service.ts';
import type { UserView } from './identity.views.ts';

/** Props of {@link SignInSettingsPage}. */
export interface SignInSettingsPageProps {
  caller: Caller;
  settings: SignInSettingsView;
  users: UserView[];
  /** Every account's linked identities, by user id. */
  identities: Map<string, IdentityView[]>;
  error?: string | undefined;
  info?: string | undefined;
}

const list = (v: readonly string[]) => (v.length > 0 ? v.join(', ') : '(none)');

function Row({ label, value }: { label: string; value: string }) {
  return (
    <tr>
      <th>{label}</th>
      <td data-setting={label}>{value}</td>
    </tr>
  );
}

/** Admin: how people sign in (read-only: set in the environment), and the links between accounts and directory identities. */
export function SignInSettingsPage({ caller, settings, users, identities, error, info }: SignInSettingsPageProps) {
  const o = settings.oidc;
  const l = settings.ldap;
  return (
    <Layout title="Sign-in" caller={caller}>
      <Notice error={error} info={info} />
      <section class="card">
        <h1>Sign-in</h1>
        <p class="muted">These settings come from the environment (.env); change them there and restart.</p>
        <table>
          <tbody>
            <Row
              label="Local sign-in (LOCAL_LOGIN)"
              value={`${settings.localLogin}${settings.localLoginEffective !== settings.localLogin ? ` (acting as ${settings.localLoginEffective}: no admin can sign in through a directory yet)` : ''}`}
            />
            <Row label="MFA required (MFA_REQUIRED)" value={settings.mfaRequired} />
            <Row label="Directory sessions last (SSO_RECHECK_MINUTES)" value={`${settings.recheckMinutes} minutes`} />
          </tbody>
        </table>
      </section>
      <section class="card" data-testid="oidc-settings">
        <h2>OpenID Connect</h2>
        {o ? (
          <table>
            <tbody>
              <Row label="Issuer" value={o.issuerUrl} />
              <Row label="Client id" value={o.clientId} />
              <Row label="Client secret" value={o.clientSecret} />
              <Row label="Redirect URI (register it at the provider)" value={o.redirectUri} />
              <Row label="Scopes" value={o.scopes} />
              <Row label="Button" value={`Sign in with ${o.displayName}`} />
              <Row label="Claims (email, name, groups)" value={`${o.claims.email}, ${o.claims.name}, ${o.claims.groups}`} />
              <Row label="Admin groups" value={list(o.adminGroups)} />
              <Row label="Allowed groups" value={o.allowedGroups.length > 0 ? o.allowedGroups.join(', ') : '(everyone the provider signs in)'} />
              <Row label="Userinfo" value={o.userinfo ? 'read' : 'not read'} />
              <Row label="Provider metadata" value={o.metadata === 'file' ? 'local file (OIDC_DISCOVERY_FILE)' : 'discovery'} />
              <Row label="Signing keys" value={o.keys === 'file' ? 'local file (OIDC_JWKS_FILE)' : "the provider's jwks_uri"} />
              <Row label="Only local addresses (NO_EXTERNAL_EGRESS)" value={o.localOnly ? 'yes' : 'no'} />
            </tbody>
          </table>
        ) : (
          <p class="muted">Not configured. Set OIDC_ISSUER_URL and OIDC_CLIENT_ID (see the README).</p>
        )}
      </section>
      <section class="card" data-testid="ldap-settings">
        <h2>LDAP / Active Directory</h2>
        {l ? (
          <table>
            <tbody>
              <Row label="Directory" value={l.url} />
              <Row label="Issuer of its identities" value={l.issuer} />
              <Row
                label="Transport"
                value={l.transport === 'ldaps' ? 'ldaps (TLS)' : l.transport === 'starttls' ? 'StartTLS' : 'plain LDAP (LDAP_ALLOW_PLAINTEXT=1)'}
              />
              <Row label="CA file" value={l.caFile ?? "(the system's CAs)"} />
              <Row label="Service account" value={l.bindDn ?? '(anonymous search)'} />
              <Row label="Service password" value={l.bindPassword} />
              <Row label="User base" value={l.userBase} />
              <Row label="User filter" value={l.userFilter} />
              <Row label="Attributes (email, name)" value={`${l.attributes.email}, ${l.attributes.name}`} />
              <Row label="Group membership" value={l.groupBase ? `${l.groupMembership} under ${l.groupBase}` : l.groupMembership} />
              <Row label="Admin groups" value={list(l.adminGroups)} />
              <Row label="Allowed groups" value={l.allowedGroups.length > 0 ? l.allowedGroups.join(', ') : '(everyone the directory signs in)'} />
              <Row label="Timeout" value={`${l.timeoutS} s`} />
            </tbody>
          </table>
        ) : (
          <p class="muted">Not configured. Set LDAP_URL and LDAP_USER_BASE (see the README).</p>
        )}
      </section>
      <section class="card">
        <h2>Linked identities</h2>
        <p class="muted">
          A directory user is matched by the provider's subject, never by email. To let an existing local account sign in through a directory, link it here; a
          refused first sign-in's subject is in the audit log (auth.sso_login, identity_unlinked).
        </p>
        <table>
          <thead>
            <tr>
              <th>Account</th>
              <th>Provider</th>
              <th>Subject</th>
              <th>Groups at last sign-in</th>
            </tr>
          </thead>
          <tbody>
            {users.flatMap((u) =>
              (identities.get(u.id) ?? []).map((i) => (
                <tr data-identity={i.id}>
                  <td>{u.email}</td>
                  <td>{i.provider}</td>
                  <td>{i.label ? `${i.subject} (${i.label})` : i.subject}</td>
                  <td>{list(i.groups)}</td>
                </tr>
              )),
            )}
          </tbody>
        </table>
        <form method="post" action="/admin/sign-in/link" class="stack">
          <CsrfField caller={caller} />
          <label class="field">
            <span>Account</span>
            <select name="userId">
              {users.map((u) => (
                <option value={u.id}>{u.email}</option>
              ))}
            </select>
          </label>
          <label class="field">
            <span>Provider</span>
            <select name="provider">
              <option value="oidc">OpenID Connect</option>
              <option value="ldap">LDAP</option>
            </select>
          </label>
          <Field label="Issuer (OIDC issuer URL, or the LDAP directory)" name="issuer" value={o?.issuerUrl} />
          <Field label="Subject" name="subject" />
          <button type="submit">Link</button>
        </form>
      </section>
    </Layout>
  );
}
