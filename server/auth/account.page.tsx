/** @jsxImportSource hono/jsx */
import type { CallerSession } from './caller.types.ts';
import type { KeyView } from './identity.views.ts';
import type { Caller } from '../http/types.ts';
import { Field, Notice, when } from '../ui/components.tsx';
import { CsrfField, Layout, PostButton } from '../ui/layout.tsx';

/** Props of {@link ProfilePage}. */
export interface ProfileProps {
  caller: Caller;
  sessions: CallerSession[];
  keys: KeyView[];
  /** Whether the caller's groups may use API keys (feature `api_keys`). */
  keysAllowed: boolean;
  error?: string | undefined;
  info?: string | undefined;
  /** A key just created: shown this once. */
  newKey?: string | undefined;
}

/** The signed-in user's page: password, sessions, API keys. */
export function ProfilePage({ caller, sessions, keys, keysAllowed, error, info, newKey }: ProfileProps) {
  const current = caller.via === 'session' ? caller.session.id : undefined;
  return (
    <Layout title="Profile" caller={caller}>
      <Notice error={error} info={info} />
      <section class="card">
        <h1>{caller.user.name}</h1>
        <p class="muted" data-testid="whoami">
          {caller.user.email} · {caller.user.role}
        </p>
      </section>
      <section class="card">
        <h2>Password</h2>
        <form method="post" action="/profile/password" class="stack">
          <CsrfField caller={caller} />
          <Field label="Current password" name="currentPassword" type="password" autocomplete="current-password" />
          <Field label="New password (at least 12 characters)" name="newPassword" type="password" autocomplete="new-password" minlength={12} />
          <button type="submit">Change password</button>
        </form>
        <p class="muted" data-testid="password-consequence">
          Changing it signs out every other session and revokes all your API keys ({keys.filter((k) => !k.revokedAt).length} active).
        </p>
      </section>
      <section class="card">
        <h2>Two-step sign-in</h2>
        <p>
          <a href="/profile/mfa" data-testid="mfa-link">
            Set up or manage two-step sign-in
          </a>
        </p>
      </section>
      <section class="card">
        <h2>Sessions</h2>
        <table>
          <thead>
            <tr>
              <th>Signed in</th>
              <th>Last seen</th>
              <th>From</th>
              <th>Browser</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {sessions.map((s) => (
              <tr>
                <td>{when(s.createdAt)}</td>
                <td>{when(s.lastSeenAt)}</td>
                <td>{s.ip ?? '—'}</td>
                <td>{(s.userAgent ?? '—').slice(0, 60)}</td>
                <td>
                  {s.id === current ? (
                    <strong>this one</strong>
                  ) : (
                    <PostButton caller={caller} action={`/profile/sessions/${s.id}/revoke`} label="Revoke" kind="danger" />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section class="card">
        <h2>API keys</h2>
        {newKey ? (
          <div>
            <p>Your new key. Copy it now: it is not shown again.</p>
            <p class="secret" data-testid="new-key">
              {newKey}
            </p>
          </div>
        ) : null}
        {keysAllowed ? (
          <form method="post" action="/profile/keys" class="row" data-testid="new-key-form">
            <CsrfField caller={caller} />
            <Field label="Key name" name="name" />
            <button type="submit">Create key</button>
          </form>
        ) : (
          <p class="muted">Your groups may not use API keys; ask an admin.</p>
        )}
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Prefix</th>
              <th>Created</th>
              <th>Last used</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => (
              <tr>
                <td>{k.name}</td>
                <td>
                  <code>{k.prefix}</code>
                </td>
                <td>{when(k.createdAt)}</td>
                <td>{when(k.lastUsedAt)}</td>
                <td>
                  {k.revokedAt ? (
                    <span class="muted">revoked</span>
                  ) : (
                    <PostButton caller={caller} action={`/profile/keys/${k.id}/revoke`} label="Revoke" kind="danger" />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </Layout>
  );
}
