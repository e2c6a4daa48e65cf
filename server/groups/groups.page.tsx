/** @jsxImportSource hono/jsx */
import type { Caller } from '../http/types.ts';
import { Field, Notice } from '../ui/components.tsx';
import { CsrfField, Layout } from '../ui/layout.tsx';
import type { GroupView, MemberView } from './groups.views.ts';

/** A user an admin can add to a group. */
export interface UserChoice {
  id: string;
  email: string;
}

const kindLabel = (g: GroupView) =>
  g.kind === 'everyone' ? 'built in: every active user' : g.kind === 'synced' ? `synced from ${g.directory} group ${g.directoryGroup}` : 'local';

/** Admin: every group, and a form for a new one. */
export function GroupsPage({ caller, groups, error, info }: { caller: Caller; groups: GroupView[]; error?: string | undefined; info?: string | undefined }) {
  return (
    <Layout title="Groups" caller={caller}>
      <Notice error={error} info={info} />
      <section class="card">
        <h1>Groups</h1>
        <p class="muted">A model with no group is open to Everyone. Restrict it to groups on a group's page; members of none of them cannot see or use it.</p>
        <table data-testid="groups">
          <thead>
            <tr>
              <th>Name</th>
              <th>Kind</th>
              <th>Members</th>
              <th>Restricted models it may use</th>
            </tr>
          </thead>
          <tbody>
            {groups.map((g) => (
              <tr data-group={g.name}>
                <td>
                  <a href={`/admin/groups/${g.id}`}>{g.name}</a>
                </td>
                <td>{kindLabel(g)}</td>
                <td>{g.memberCount ?? 'all'}</td>
                <td>{g.models.join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section class="card">
        <h2>New group</h2>
        <form method="post" action="/admin/groups" class="stack" data-testid="new-group">
          <CsrfField caller={caller} />
          <Field label="Name" name="name" />
          <Field label="Description" name="description" required={false} />
          <label class="field">
            <span>Members</span>
            <select name="kind">
              <option value="local">managed here</option>
              <option value="synced">synced from a directory group</option>
            </select>
          </label>
          <label class="field">
            <span>Directory (synced groups)</span>
            <select name="directory">
              <option value="">—</option>
              <option value="oidc">OpenID Connect</option>
              <option value="ldap">LDAP</option>
            </select>
          </label>
          <Field label="Directory group (synced groups: its name or DN)" name="directoryGroup" required={false} />
          <button type="submit">Create group</button>
        </form>
      </section>
    </Layout>
  );
}

/** Props of {@link GroupPage}. */
export interface GroupPageProps {
  caller: Caller;
  group: GroupView;
  members: MemberView[];
  /** Active users not in the group (local groups). */
  others: UserChoice[];
  /** Every catalog model, and whether this group may use it. */
  models: Array<{ name: string; kind: string; open: boolean; checked: boolean }>;
  error?: string | undefined;
  info?: string | undefined;
}

/** Admin: one group's members (bulk add and remove) and the restricted models it may use. */
export function GroupPage({ caller, group, members, others, models, error, info }: GroupPageProps) {
  const local = group.kind === 'local';
  return (
    <Layout title={group.name} caller={caller}>
      <Notice error={error} info={info} />
      <section class="card">
        <h1>{group.name}</h1>
        <p>{group.description}</p>
        <p class="muted">{kindLabel(group)}</p>
      </section>
      {group.kind !== 'everyone' ? (
        <section class="card">
          <h2>Members</h2>
          <form method="post" action={`/admin/groups/${group.id}/members`} class="stack" data-testid="members">
            <CsrfField caller={caller} />
            <table>
              <tbody>
                {members.map((m) => (
                  <tr data-member={m.email}>
                    <td>{local ? <input type="checkbox" name="remove" value={m.userId} aria-label={`remove ${m.email}`} /> : null}</td>
                    <td>{m.email}</td>
                    <td>{m.manager ? 'manager' : ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {local ? (
              <>
                <label class="field">
                  <span>Add members</span>
                  <select name="add" multiple size={Math.min(8, Math.max(2, others.length))} data-testid="add-members">
                    {others.map((u) => (
                      <option value={u.id}>{u.email}</option>
                    ))}
                  </select>
                </label>
                <button type="submit">Add the chosen, remove the ticked</button>
              </>
            ) : (
              <p class="muted">Members come from the directory at each sign-in and sync.</p>
            )}
          </form>
        </section>
      ) : null}
      {group.kind !== 'everyone' ? (
        <section class="card">
          <h2>Models this group may use</h2>
          <p class="muted">Ticking a model restricts it to its ticked groups; a model no group has ticked is open to Everyone.</p>
          <form method="post" action={`/admin/groups/${group.id}/models`} class="stack" data-testid="group-models">
            <CsrfField caller={caller} />
            {models.map((m) => (
              <label class="row">
                <input type="checkbox" name="models" value={m.name} checked={m.checked} />
                <span>
                  {m.name} ({m.kind}){m.open ? ' — open to Everyone now' : ''}
                </span>
              </label>
            ))}
            <button type="submit">Save models</button>
          </form>
        </section>
      ) : null}
    </Layout>
  );
}
