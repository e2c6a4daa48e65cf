/** @jsxImportSource hono/jsx */
import type { UserView } from './identity.views.ts';
import type { Caller } from '../http/types.ts';
import { Field, Notice, when } from '../ui/components.tsx';
import { CsrfField, Layout, PostButton } from '../ui/layout.tsx';

/** Props of {@link UsersPage}. */
export interface UsersPageProps {
  caller: Caller;
  users: UserView[];
  error?: string | undefined;
  info?: string | undefined;
  /** An invite or reset link just made, to hand to the user. */
  link?: { label: string; url: string } | undefined;
}

/** Admin: accounts, invitations, roles, deactivation, reset links. */
export function UsersPage({ caller, users, error, info, link }: UsersPageProps) {
  return (
    <Layout title="Users" caller={caller}>
      <Notice error={error} info={info} />
      {link ? (
        <section class="card">
          <p>{link.label}</p>
          <p class="secret" data-testid="link">
            {link.url}
          </p>
        </section>
      ) : null}
      <section class="card">
        <h1>Users</h1>
        <p class="muted">A reset link lets the user choose a new password; using it signs out all their sessions and revokes all their API keys.</p>
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Email</th>
              <th>Role</th>
              <th>Status</th>
              <th>MFA</th>
              <th>Created</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr data-email={u.email}>
                <td>{u.name}</td>
                <td>{u.email}</td>
                <td>{u.role}</td>
                <td>
                  {u.status}
                  {u.hasPassword ? '' : ' (invited)'}
                </td>
                <td data-testid="mfa">{u.mfa ? 'on' : 'off'}</td>
                <td>{when(u.createdAt)}</td>
                <td class="row">
                  <PostButton
                    caller={caller}
                    action={`/admin/users/${u.id}`}
                    fields={{ role: u.role === 'admin' ? 'user' : 'admin' }}
                    label={u.role === 'admin' ? 'Make user' : 'Make admin'}
                    kind="secondary"
                  />
                  <PostButton
                    caller={caller}
                    action={`/admin/users/${u.id}`}
                    fields={{ status: u.status === 'active' ? 'deactivated' : 'active' }}
                    label={u.status === 'active' ? 'Deactivate' : 'Reactivate'}
                    kind={u.status === 'active' ? 'danger' : 'secondary'}
                  />
                  <PostButton caller={caller} action={`/admin/users/${u.id}/reset-link`} label="Reset link" kind="secondary" />
                  {u.mfa ? (
                    <PostButton
                      caller={caller}
                      action={`/admin/users/${u.id}/mfa/reset`}
                      label="Reset MFA"
                      kind="danger"
                      confirm={`Remove the two-step sign-in of ${u.email} and sign out all their sessions?`}
                    />
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section class="card">
        <h2>Add a user</h2>
        <p class="muted">Leave the password empty to get an invite link (valid 72 hours) to hand over.</p>
        <form method="post" action="/admin/users" class="stack">
          <CsrfField caller={caller} />
          <Field label="Name" name="name" />
          <Field label="Email" name="email" type="email" />
          <label class="field">
            <span>Role</span>
            <select name="role">
              <option value="user">user</option>
              <option value="admin">admin</option>
            </select>
          </label>
          <Field label="Password (optional)" name="password" type="password" required={false} autocomplete="new-password" />
          <button type="submit">Add user</button>
        </form>
      </section>
    </Layout>
  );
}
