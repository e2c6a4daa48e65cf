import { afterEach, describe, expect, it } from 'vitest';
import { codeOf, type TestClient } from '../../helpers/client.ts';
import { addUser, claimAdmin } from '../../helpers/identity.ts';
import { createTestServer, type TestServer } from '../../helpers/server.ts';

let s: TestServer | undefined;
afterEach(() => s?.cleanup());

const audit = (t: TestServer, action: string) => t.identity.audit.list({ action, limit: 50 });

async function setup() {
  s = await createTestServer();
  const admin = await claimAdmin(s);
  for (const m of [
    { name: 'open-model', kind: 'chat', contextLength: 4096 },
    { name: 'legal-model', kind: 'chat', contextLength: 4096 },
    { name: 'embed-model', kind: 'embedding', contextLength: 2048, dimensions: 8 },
  ])
    expect((await admin.post('/api/models', m)).status).toBe(201);
  const bob = await addUser(s, admin, 'bob@example.test');
  const carol = await addUser(s, admin, 'carol@example.test');
  return { t: s, admin, bob, carol };
}

// /v1 takes API keys, as integrators call it.
async function keyOf(c: TestClient): Promise<string> {
  return (await c.post('/api/keys', { name: 'test' })).body.key as string;
}
const v1 = (t: TestServer, key: string, path: string, body?: unknown) =>
  Promise.resolve(
    t.app.request(`http://localhost:8000${path}`, {
      method: body ? 'POST' : 'GET',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    }),
  );
const visibleModels = async (t: TestServer, key: string) =>
  ((await (await v1(t, key, '/v1/models')).json()) as { data: Array<{ id: string }> }).data.map((m) => m.id);
const v1Code = async (res: Response) => ((await res.json()) as { error?: { code?: string } }).error?.code;

describe('groups', () => {
  it('has a built-in Everyone that cannot be renamed, deleted or given members', async () => {
    const { admin, bob } = await setup();
    const list = (await admin.get('/api/groups')).body.groups as Array<{ id: string; kind: string; name: string }>;
    expect(list[0]).toMatchObject({ id: 'everyone', kind: 'everyone', name: 'Everyone' });
    expect(codeOf(await admin.delete('/api/groups/everyone'))).toBe('group_read_only');
    expect(codeOf(await admin.patch('/api/groups/everyone', { name: 'All' }))).toBe('group_read_only');
    expect(codeOf(await admin.request('PUT', `/api/groups/everyone/members/${bob.id}`))).toBe('group_read_only');
    expect((await admin.patch('/api/groups/everyone', { description: 'All of us' })).status).toBe(200);
  });

  it('creates, renames and deletes local groups, audited with before and after', async () => {
    const { t, admin, bob } = await setup();
    const created = await admin.post('/api/groups', { kind: 'local', name: 'Legal', description: 'The legal team' });
    expect(created.status).toBe(201);
    const id = (created.body.group as { id: string }).id;
    expect(codeOf(await admin.post('/api/groups', { kind: 'local', name: 'legal' }))).toBe('conflict');
    expect(codeOf(await admin.post('/api/groups', { kind: 'local', name: '' }))).toBe('validation_failed');
    expect(codeOf(await bob.client.post('/api/groups', { kind: 'local', name: 'Mine' }))).toBe('forbidden');
    expect((await admin.patch(`/api/groups/${id}`, { name: 'Legal & Compliance' })).body.group).toMatchObject({ name: 'Legal & Compliance' });
    expect(audit(t, 'group.update')[0]?.details).toMatchObject({ before: { name: 'Legal' }, after: { name: 'Legal & Compliance' } });
    expect((await admin.delete(`/api/groups/${id}`)).status).toBe(200);
    expect(audit(t, 'group.delete')[0]?.details).toMatchObject({ before: { name: 'Legal & Compliance' } });
    expect(codeOf(await admin.get(`/api/groups/${id}`))).toBe('not_found');
  });

  it('lets a manager change a local group’s members and nothing else', async () => {
    const { t, admin, bob, carol } = await setup();
    const id = ((await admin.post('/api/groups', { kind: 'local', name: 'Legal' })).body.group as { id: string }).id;
    expect(codeOf(await bob.client.request('PUT', `/api/groups/${id}/members/${carol.id}`))).toBe('forbidden');
    expect((await admin.request('PUT', `/api/groups/${id}/members/${bob.id}`, { manager: true })).body.member).toMatchObject({ manager: true });
    expect((await bob.client.get('/api/groups')).body.groups).toMatchObject([{ id, name: 'Legal' }]);
    expect((await bob.client.request('PUT', `/api/groups/${id}/members/${carol.id}`)).status).toBe(200);
    expect(codeOf(await bob.client.request('PUT', `/api/groups/${id}/members/${carol.id}`, { manager: true }))).toBe('forbidden');
    expect(codeOf(await bob.client.patch(`/api/groups/${id}`, { name: 'Bob’s' }))).toBe('forbidden');
    expect(codeOf(await bob.client.request('PUT', `/api/groups/models/legal-model`, { groups: [id] }))).toBe('forbidden');
    expect(((await bob.client.get(`/api/groups/${id}`)).body.members as unknown[]).length).toBe(2);
    expect((await bob.client.delete(`/api/groups/${id}/members/${carol.id}`)).status).toBe(200);
    expect(codeOf(await carol.client.get(`/api/groups/${id}`))).toBe('forbidden');
    expect(audit(t, 'group.member_put').map((e) => e.details?.userId)).toEqual([carol.id, bob.id]);
    expect(audit(t, 'group.member_remove')).toHaveLength(1);
    expect(codeOf(await admin.request('PUT', `/api/groups/${id}/members/no-such-user`))).toBe('not_found');
  });

  it('restricts a model to groups: hidden and refused (403 model_not_allowed) for others, at the next request after a change', async () => {
    const { t, admin, bob, carol } = await setup();
    const legal = ((await admin.post('/api/groups', { kind: 'local', name: 'Legal' })).body.group as { id: string }).id;
    await admin.request('PUT', `/api/groups/${legal}/members/${bob.id}`);
    const [bobKey, carolKey] = [await keyOf(bob.client), await keyOf(carol.client)];
    expect((await visibleModels(t, carolKey)).sort()).toEqual(['embed-model', 'legal-model', 'open-model']); // open to everyone by default
    expect((await admin.request('PUT', '/api/groups/models/legal-model', { groups: [legal] })).body.groups).toEqual([legal]);
    expect(audit(t, 'model.access')[0]?.details).toEqual({ before: [], after: [legal] });

    expect(await visibleModels(t, bobKey)).toContain('legal-model');
    expect(await visibleModels(t, carolKey)).not.toContain('legal-model');
    expect(await visibleModels(t, carolKey)).toContain('open-model');
    const refused = await v1(t, carolKey, '/v1/chat/completions', { model: 'legal-model', messages: [{ role: 'user', content: 'hi' }] });
    expect(refused.status).toBe(403);
    expect(await v1Code(refused)).toBe('model_not_allowed');
    expect(codeOf(await carol.client.post('/api/conversations', { model: 'legal-model' }))).toBe('model_not_allowed');
    expect((await bob.client.post('/api/conversations', { model: 'legal-model' })).status).toBe(201);

    // Membership is read at each request: removing Bob takes effect at once; adding Carol too.
    await admin.delete(`/api/groups/${legal}/members/${bob.id}`);
    expect(codeOf(await bob.client.post('/api/conversations', { model: 'legal-model' }))).toBe('model_not_allowed');
    await admin.request('PUT', `/api/groups/${legal}/members/${carol.id}`);
    expect((await carol.client.post('/api/conversations', { model: 'legal-model' })).status).toBe(201);

    // Open to Everyone again: no restriction.
    expect((await admin.request('PUT', '/api/groups/models/legal-model', { groups: ['everyone'] })).body.groups).toEqual([]);
    expect(await visibleModels(t, bobKey)).toContain('legal-model');
  });

  it('holds /v1/embeddings to the groups, and never deletes a group a model is open to alone', async () => {
    const { t, admin, bob } = await setup();
    const ml = ((await admin.post('/api/groups', { kind: 'local', name: 'ML' })).body.group as { id: string }).id;
    const other = ((await admin.post('/api/groups', { kind: 'local', name: 'Other' })).body.group as { id: string }).id;
    await admin.request('PUT', '/api/groups/models/embed-model', { groups: [ml] });
    expect(await v1Code(await v1(t, await keyOf(bob.client), '/v1/embeddings', { model: 'embed-model', input: 'hello' }))).toBe('model_not_allowed');
    expect(codeOf(await admin.request('PUT', '/api/groups/models/embed-model', { groups: ['no-such-group'] }))).toBe('not_found');

    const refused = await admin.delete(`/api/groups/${ml}`);
    expect(codeOf(refused)).toBe('conflict');
    expect((refused.body.error as { message: string }).message).toMatch(/embed-model is open only to ML/);
    await admin.request('PUT', '/api/groups/models/embed-model', { groups: [ml, other] });
    await admin.request('PUT', `/api/groups/${ml}/members/${bob.id}`);
    const conversation = (await bob.client.post('/api/conversations', { model: 'open-model' })).body.id as string;
    const collection = (await bob.client.post('/api/collections', { name: 'ML notes' })).body.id as number;
    await bob.client.request('PUT', `/api/collections/${collection}/shares`, { shares: [{ groupId: ml, access: 'read' }] });
    expect((await admin.delete(`/api/groups/${ml}`)).status).toBe(200);
    // Deleting a group deletes no conversation or collection of its members.
    expect((await bob.client.get(`/api/conversations/${conversation}`)).status).toBe(200);
    expect((await bob.client.get(`/api/collections/${collection}`)).status).toBe(200);
    expect(t.groups.modelGroupIds('embed-model')).toEqual([other]);
  });

  it('keeps synced groups in line with the directory at each sign-in, read-only in Onsite', async () => {
    const { t, admin } = await setup();
    const res = await admin.post('/api/groups', { kind: 'synced', name: 'Staff', directory: 'oidc', directoryGroup: 'staff' });
    const staff = (res.body.group as { id: string }).id;
    const profile = { provider: 'oidc' as const, issuer: 'https://idp.example.test', subject: 'dave', email: 'dave@example.test', name: 'Dave' };
    const rules = { adminGroups: [], allowedGroups: [] };
    const dave = t.identity.directory.signIn({ ...profile, groups: ['staff'] }, rules, { method: 'oidc' });
    expect(((await admin.get(`/api/groups/${staff}`)).body.members as Array<{ email: string }>).map((m) => m.email)).toEqual(['dave@example.test']);
    expect(codeOf(await admin.delete(`/api/groups/${staff}/members/${dave.user.id}`))).toBe('group_read_only');
    t.identity.directory.signIn({ ...profile, groups: ['sales'] }, rules, { method: 'oidc' });
    expect((await admin.get(`/api/groups/${staff}`)).body.members).toEqual([]);
    expect(audit(t, 'group.member_remove')[0]).toMatchObject({ actorLabel: 'oidc-sync', details: { userId: dave.user.id, synced: true } });
    expect(codeOf(await admin.post('/api/groups', { kind: 'synced', name: 'X', directory: 'ldap' }))).toBe('validation_failed');
  });
});

describe('permission views', () => {
  it('say what each user may use and who may use each model, exactly as the API enforces it', async () => {
    const { t, admin, bob, carol } = await setup();
    const [legal, ml] = await Promise.all(
      ['Legal', 'ML'].map(async (name) => ((await admin.post('/api/groups', { kind: 'local', name })).body.group as { id: string }).id),
    );
    await admin.request('PUT', `/api/groups/${legal}/members/${bob.id}`);
    await admin.request('PUT', `/api/groups/${ml}/members/${carol.id}`);
    await admin.request('PUT', '/api/groups/models/legal-model', { groups: [legal] });
    await admin.request('PUT', '/api/groups/models/embed-model', { groups: [ml, legal] });

    const bobView = (await admin.get(`/api/groups/permissions/users/${bob.id}`)).body.models as Array<{ model: string; via: { name: string } | null }>;
    expect(Object.fromEntries(bobView.map((p) => [p.model, p.via?.name ?? null]))).toEqual({
      'open-model': 'Everyone',
      'legal-model': 'Legal',
      'embed-model': 'Legal',
    });
    const who = (await admin.get('/api/groups/permissions/models/legal-model')).body.users as Array<{ email: string; via: { name: string } }>;
    expect(who.map((w) => [w.email, w.via.name])).toEqual([['bob@example.test', 'Legal']]);
    expect(codeOf(await bob.client.get(`/api/groups/permissions/users/${bob.id}`))).toBe('forbidden');

    // The view and the API agree for every user and chat model.
    for (const user of [bob, carol]) {
      const view = (await admin.get(`/api/groups/permissions/users/${user.id}`)).body.models as Array<{ model: string; via: unknown }>;
      for (const p of view.filter((v) => v.model !== 'embed-model')) {
        const res = await user.client.post('/api/conversations', { model: p.model });
        expect(res.status === 201, `${p.model}`).toBe(p.via !== null);
      }
    }
    expect(t.groups.whoMayUse('open-model').map((w) => w.via.name)).toEqual(['Everyone', 'Everyone', 'Everyone']);
  });
});

describe('group budgets', () => {
  it("gives a user their own override, else their groups' most generous budget, else the default", async () => {
    s = await createTestServer({ TOKEN_BUDGET_DAILY: '1000' });
    const admin = await claimAdmin(s);
    const bob = await addUser(s, admin, 'bob@example.test');
    const carol = await addUser(s, admin, 'carol@example.test');
    const t = s;
    const daily = (id: string) => t.usage.status(id).daily.limit;
    expect(daily(bob.id)).toBe(1000);
    const [small, big] = await Promise.all(
      ['Small', 'Big'].map(async (name) => ((await admin.post('/api/groups', { kind: 'local', name })).body.group as { id: string }).id),
    );
    await admin.patch(`/api/groups/${small}`, { budgetDaily: 5000 });
    await admin.patch(`/api/groups/${big}`, { budgetDaily: 20000, budgetMonthly: 0 });
    await admin.request('PUT', `/api/groups/${small}/members/${bob.id}`);
    expect(daily(bob.id)).toBe(5000);
    await admin.request('PUT', `/api/groups/${big}/members/${bob.id}`);
    expect(daily(bob.id)).toBe(20000);
    expect(t.usage.status(bob.id).monthly.limit).toBe(0); // unlimited is the most generous
    expect(daily(carol.id)).toBe(1000);
    expect(audit(t, 'group.update')[0]?.details).toMatchObject({ before: { budgetDaily: null }, after: { budgetDaily: 20000, budgetMonthly: 0 } });
    // Everyone's budget applies to all, below any larger group budget.
    await admin.patch('/api/groups/everyone', { budgetDaily: 2000 });
    expect(daily(carol.id)).toBe(2000);
    expect(daily(bob.id)).toBe(20000);
    expect(codeOf(await admin.patch(`/api/groups/${big}`, { budgetDaily: -1 }))).toBe('validation_failed');
    t.usage.setBudget({ label: 'admin' }, bob.id, { daily: 10, monthly: null }); // the user's own override wins
    expect(daily(bob.id)).toBe(10);
  });
});

describe('usage by group', () => {
  it('the usage page totals each group’s members, Everyone all of them', async () => {
    const { t, admin, bob, carol } = await setup();
    const legal = ((await admin.post('/api/groups', { kind: 'local', name: 'Legal' })).body.group as { id: string }).id;
    await admin.request('PUT', `/api/groups/${legal}/members/${bob.id}`);
    const entry = { apiKeyId: null, source: 'api' as const, model: 'open-model', minerId: null, completionTokens: 0, durationMs: 5, outcome: 'ok' as const };
    t.usage.record({ ...entry, userId: bob.id, promptTokens: 1200 });
    t.usage.record({ ...entry, userId: carol.id, promptTokens: 34 });
    const html = (await admin.get('/admin/usage')).body.text as string;
    const table = html.slice(html.indexOf('data-testid="usage-by-group"'), html.indexOf('data-testid="usage-models"'));
    expect(table).toMatch(/<td>Everyone<\/td><td>2<\/td><td>1,234<\/td>/);
    expect(table).toMatch(/<td>Legal<\/td><td>1<\/td><td>1,200<\/td>/);
  });
});

describe('features per group', () => {
  it('API keys: refused to create (403 feature_not_allowed), and existing keys stop at the next request', async () => {
    const { t, admin, bob, carol } = await setup();
    const dev = ((await admin.post('/api/groups', { kind: 'local', name: 'Developers' })).body.group as { id: string }).id;
    await admin.request('PUT', `/api/groups/${dev}/members/${bob.id}`);
    const carolKey = await keyOf(carol.client);
    expect((await v1(t, carolKey, '/v1/models')).status).toBe(200);
    expect((await admin.request('PUT', '/api/groups/features/api_keys', { groups: [dev] })).body.groups).toEqual([dev]);
    expect(audit(t, 'feature.access')[0]?.details).toEqual({ before: [], after: [dev] });
    expect(codeOf(await carol.client.post('/api/keys', { name: 'x' }))).toBe('feature_not_allowed');
    expect((await v1(t, carolKey, '/v1/models')).status).toBe(401);
    expect((await bob.client.post('/api/keys', { name: 'ok' })).status).toBe(201);
    // Hidden in the UI too: no key form on Carol's profile page, Bob keeps his.
    expect((await carol.client.get('/profile')).body.text).not.toContain('data-testid="new-key-form"');
    expect((await bob.client.get('/profile')).body.text).toContain('data-testid="new-key-form"');
    expect(codeOf(await admin.request('PUT', '/api/groups/features/teleport', { groups: [] }))).toBe('not_found');
    expect((await admin.get(`/api/groups/${dev}/permissions`)).body).toEqual({ group: dev, models: [], features: ['api_keys'] });

    const view = (await admin.get(`/api/groups/permissions/users/${carol.id}`)).body.features as Array<{ feature: string; via: { name: string } | null }>;
    expect(Object.fromEntries(view.map((f) => [f.feature, f.via?.name ?? null]))).toEqual({ web_pages: 'Everyone', uploads: 'Everyone', api_keys: null });
  });

  it('uploads: refused with 403 feature_not_allowed for users outside the allowed groups', async () => {
    const { t, admin, carol } = await setup();
    const editors = ((await admin.post('/api/groups', { kind: 'local', name: 'Editors' })).body.group as { id: string }).id;
    await admin.request('PUT', '/api/groups/features/uploads', { groups: [editors] });
    const collection = (await carol.client.post('/api/collections', { name: 'Notes' })).body as { id?: number; collection?: { id: number } };
    const id = collection.id ?? collection.collection!.id;
    const form = new FormData();
    form.append('file', new Blob(['hello'], { type: 'text/plain' }), 'a.txt');
    const res = await carol.client.raw('POST', `/api/collections/${id}/documents`, undefined, { body: form });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('feature_not_allowed');
    expect((await carol.client.get(`/collections/${id}`)).body.text).toMatch(/<form hidden="" method="post" action="\/api\/collections\/\d+\/documents"/);
    void t;
  });
});
