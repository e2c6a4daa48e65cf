import { Hono, type Context } from 'hono';
import { callerOf, requireAdmin, requireUser } from '../http/middleware/guards.ts';
import type { AppEnv } from '../http/types.ts';
import { jsonBody } from '../http/validate.ts';
import { createGroupBody, featureName, memberBody, modelAccessBody, updateGroupBody } from './groups.schemas.ts';
import { parsePath } from '../http/validate.ts';
import { FEATURES } from '../kernel/features.ts';
import type { GroupCaller, GroupsService } from './groups.service.ts';
import type { ModelService } from '../models/models.service.ts';

const who = (c: Context<AppEnv>): GroupCaller => {
  const u = callerOf(c).user;
  return { id: u.id, email: u.email, role: u.role };
};

/**
 * `/api/groups`: groups and their members (admins; a group's managers may
 * read it and change its members), `/api/groups/models/:name`: which
 * groups may use a catalog model, and `/api/groups/permissions/…`: what a
 * user may use and who may use a model (admins).
 */
export function groupsRoutes(groups: GroupsService, catalog: Pick<ModelService, 'list'>) {
  return (
    new Hono<AppEnv>()
      .use(requireUser)
      // "What can Bob use, and through which group?" and "who can use this model?", from the code that enforces.
      .get('/permissions/users/:userId', requireAdmin, (c) =>
        c.json({
          userId: c.req.param('userId'),
          models: groups.permissionsOf(
            c.req.param('userId'),
            catalog
              .list()
              .filter((m) => m.enabled)
              .map((m) => m.name),
          ),
          features: groups.featurePermissionsOf(c.req.param('userId')),
        }),
      )
      .get('/permissions/models/:name{.+}', requireAdmin, (c) => c.json({ model: c.req.param('name'), users: groups.whoMayUse(c.req.param('name')) }))
      .get('/', (c) => {
        const me = who(c);
        return c.json({ groups: me.role === 'admin' ? groups.list() : groups.managedBy(me.id) });
      })
      .post('/', requireAdmin, async (c) => c.json({ group: groups.create(who(c), await jsonBody(c, createGroupBody), c.get('ip')) }, 201))
      .get('/features/:feature', requireAdmin, (c) => {
        const feature = parsePath(c.req.param('feature'), featureName);
        return c.json({ feature, groups: groups.featureGroupIds(feature) });
      })
      .put('/features/:feature', requireAdmin, async (c) => {
        const feature = parsePath(c.req.param('feature'), featureName);
        const body = await jsonBody(c, modelAccessBody);
        return c.json({ feature, groups: groups.setFeatureGroups(who(c), feature, body.groups, c.get('ip')) });
      })
      .get('/models/:name{.+}', requireAdmin, (c) => c.json({ model: c.req.param('name'), groups: groups.modelGroupIds(c.req.param('name')) }))
      .put('/models/:name{.+}', requireAdmin, async (c) => {
        const body = await jsonBody(c, modelAccessBody);
        return c.json({ model: c.req.param('name'), groups: groups.setModelGroups(who(c), c.req.param('name'), body.groups, c.get('ip')) });
      })
      .get('/:id', (c) => {
        const id = c.req.param('id');
        groups.assertCanRead(who(c), id);
        return c.json({ group: groups.get(id), members: groups.members(id) });
      })
      // What a group grants: the restricted models and the features opened to it.
      .get('/:id/permissions', requireAdmin, (c) => {
        const g = groups.get(c.req.param('id'));
        return c.json({ group: g.id, models: g.models, features: FEATURES.filter((f) => groups.featureGroupIds(f).includes(g.id)) });
      })
      .patch('/:id', requireAdmin, async (c) => c.json({ group: groups.update(who(c), c.req.param('id'), await jsonBody(c, updateGroupBody), c.get('ip')) }))
      .delete('/:id', requireAdmin, (c) => {
        groups.remove(who(c), c.req.param('id'), c.get('ip'));
        return c.json({ ok: true });
      })
      .put('/:id/members/:userId', async (c) => {
        const body = c.req.header('content-type')?.includes('json') ? await jsonBody(c, memberBody) : {};
        return c.json({ member: groups.putMember(who(c), c.req.param('id'), c.req.param('userId'), body, c.get('ip')) });
      })
      .delete('/:id/members/:userId', (c) => {
        groups.removeMember(who(c), c.req.param('id'), c.req.param('userId'), c.get('ip'));
        return c.json({ ok: true });
      })
  );
}
