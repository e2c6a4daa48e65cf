/** @jsxImportSource hono/jsx */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { UserService } from '../auth/users.service.ts';
import { callerOf } from '../http/middleware/guards.ts';
import type { AppEnv } from '../http/types.ts';
import type { ModelService } from '../models/models.service.ts';
import { formAction, parseForm } from '../ui/forms.ts';
import { pageAdmin } from '../ui/guards.ts';
import { GroupPage, GroupsPage } from './groups.page.tsx';
import { createGroupBody } from './groups.schemas.ts';
import type { GroupCaller, GroupsService } from './groups.service.ts';

// A multi-select or several checkboxes arrive as one string or a list.
const ids = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]))
  .pipe(z.array(z.string().min(1).max(200)).max(1000));
const newGroupForm = z.preprocess((raw) => {
  const f = raw as Record<string, unknown>;
  return f.kind === 'synced' ? f : { kind: 'local', name: f.name, description: f.description };
}, createGroupBody);
const membersForm = z.object({ add: ids, remove: ids });
const modelsForm = z.object({ models: ids });

const who = (c: Context<AppEnv>): GroupCaller => {
  const u = callerOf(c).user;
  return { id: u.id, email: u.email, role: u.role };
};

/** `/admin/groups`: groups, their members and the models they may use (admins only). */
export function groupsPages(deps: { groups: GroupsService; users: UserService; catalog: ModelService }) {
  const { groups, users, catalog } = deps;
  const list = (c: Context<AppEnv>, extra: { error?: string; info?: string } = {}, status = 200) =>
    c.html(<GroupsPage caller={callerOf(c)} groups={groups.list()} {...extra} />, status as 200);
  const one = (c: Context<AppEnv>, extra: { error?: string; info?: string } = {}, status = 200) => {
    const group = groups.get(c.req.param('id')!);
    const members = groups.members(group.id);
    const inGroup = new Set(members.map((m) => m.userId));
    const others = users
      .list()
      .filter((u) => u.status === 'active' && !inGroup.has(u.id))
      .map((u) => ({ id: u.id, email: u.email }));
    const models = catalog.list().map((m) => {
      const open = groups.modelGroupIds(m.name);
      return { name: m.name, kind: m.kind, open: open.length === 0, checked: open.includes(group.id) };
    });
    return c.html(<GroupPage caller={callerOf(c)} group={group} members={members} others={others} models={models} {...extra} />, status as 200);
  };
  const listAction = formAction(list);
  const oneAction = formAction(one);

  return new Hono<AppEnv>()
    .use(pageAdmin)
    .get('/', (c) => list(c))
    .post('/', (c) =>
      listAction(c, async () => {
        const g = groups.create(who(c), parseForm(newGroupForm, await c.req.parseBody()), c.get('ip'));
        return { info: `Created ${g.name}.` };
      }),
    )
    .get('/:id', (c) => one(c))
    .post('/:id/members', (c) =>
      oneAction(c, async () => {
        const form = parseForm(membersForm, await c.req.parseBody({ all: true }));
        groups.changeMembers(who(c), c.req.param('id'), form, c.get('ip'));
        return { info: `Added ${form.add.length}, removed ${form.remove.length}.` };
      }),
    )
    .post('/:id/models', (c) =>
      oneAction(c, async () => {
        const form = parseForm(modelsForm, await c.req.parseBody({ all: true }));
        groups.setGroupModels(
          who(c),
          c.req.param('id'),
          form.models,
          catalog.list().map((m) => m.name),
          c.get('ip'),
        );
        return { info: 'Saved the models.' };
      }),
    );
}
