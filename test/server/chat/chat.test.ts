import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedReply } from '../../fixtures/ollama/server.ts';
import { codeOf } from '../../helpers/client.ts';
import { addUser } from '../../helpers/identity.ts';
import { collectReply, readSse } from '../../helpers/sse.ts';
import { CHAT_MODEL, startStack, until, type Stack } from '../../helpers/stack.ts';

describe('chat over SSE through a real miner', () => {
  let st: Stack;
  beforeAll(async () => {
    st = await startStack({ miners: 1 });
  });
  afterAll(async () => {
    await st?.close();
  });

  const newConversation = async (client = st.admin) => {
    const r = await client.post('/api/conversations', {});
    expect(r.status).toBe(201);
    return r.body.id as string;
  };

  it('streams an answer token by token, stores it, and writes the ledger', async () => {
    const id = await newConversation();
    const res = await st.admin.raw('POST', `/api/conversations/${id}/messages`, { content: 'What is Onsite?' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const { tokens, start, end, final } = await collectReply(res);
    const expected = expectedReply(CHAT_MODEL, 'What is Onsite?');
    expect(tokens).toEqual(expected);
    expect(start?.userMessage.content).toBe('What is Onsite?');
    expect(end?.event).toBe('done');
    expect(final?.message).toMatchObject({
      role: 'assistant',
      status: 'complete',
      content: expected.join(''),
      completionTokens: expected.length,
      truncated: false,
    });
    expect(final?.message.html).toContain('<p>');

    const conv = await st.admin.get(`/api/conversations/${id}`);
    expect(conv.body.title).toBe('What is Onsite?');
    expect((conv.body.messages as Array<{ role: string }>).map((m) => m.role)).toEqual(['user', 'assistant']);

    const usage = st.s.usage.recent(1)[0]!;
    expect(usage).toMatchObject({ source: 'chat', model: CHAT_MODEL, completionTokens: expected.length, outcome: 'ok', minerId: st.miners[0]!.minerId() });
    expect(usage.promptTokens).toBeGreaterThan(0);
  });

  it('lists, renames and deletes conversations; other users cannot see them', async () => {
    const id = await newConversation();
    expect((await st.admin.patch(`/api/conversations/${id}`, { title: 'Renamed' })).body.title).toBe('Renamed');
    expect(((await st.admin.get('/api/conversations')).body.conversations as Array<{ id: string }>).some((c) => c.id === id)).toBe(true);
    const { client: other } = await addUser(st.s, st.admin, 'other@example.test');
    expect((await other.get(`/api/conversations/${id}`)).status).toBe(404);
    expect((await other.raw('POST', `/api/conversations/${id}/messages`, { content: 'hi' })).status).toBe(404);
    expect((await st.admin.delete(`/api/conversations/${id}`)).status).toBe(204);
    expect((await st.admin.get(`/api/conversations/${id}`)).status).toBe(404);
  });

  it('refuses bad input with a stable code and changes nothing', async () => {
    const id = await newConversation();
    for (const body of [{}, { content: '' }, { content: 'x', extra: 1 }, { content: 'x', model: 'no-such-model' }]) {
      const r = await st.admin.post(`/api/conversations/${id}/messages`, body);
      expect(r.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      expect(['validation_failed', 'model_unknown']).toContain(codeOf(r));
    }
    expect((await st.admin.get(`/api/conversations/${id}`)).body.messages).toEqual([]);
    expect(codeOf(await st.admin.post('/api/conversations', { model: 'nomic-embed-text' }))).toBe('model_kind');
  });

  it('stop cancels the Ollama request and keeps the partial answer, marked', async () => {
    st.ollamas[0]!.setTokensPerSecond(20);
    try {
      const id = await newConversation();
      const res = await st.admin.raw('POST', `/api/conversations/${id}/messages`, { content: 'Tell me a long story' });
      const events = readSse(res);
      let tokens = 0;
      for await (const e of events) {
        if (e.event === 'token' && ++tokens === 3) break;
      }
      expect((await st.admin.post(`/api/conversations/${id}/stop`)).body).toEqual({ stopped: true });
      const seen = await st.ollamas[0]!.waitFor((r) => r.outcome === 'cancelled', 5000);
      expect(seen.path).toBe('/api/chat');
      await until(
        async () => ((await st.admin.get(`/api/conversations/${id}`)).body.messages as Array<{ status: string }>)[1]?.status === 'stopped',
        5000,
        'stopped status',
      );
      const msg = ((await st.admin.get(`/api/conversations/${id}`)).body.messages as Array<Record<string, unknown>>)[1]!;
      expect(msg.error).toBe('stopped by the user');
      expect(expectedReply(CHAT_MODEL, 'Tell me a long story').join('')).toContain(msg.content as string);
      expect((msg.content as string).length).toBeGreaterThan(0);
      expect(st.s.usage.recent(1)[0]!.outcome).toBe('stopped');
    } finally {
      st.ollamas[0]!.setTokensPerSecond(0);
    }
  });

  it('regenerates the last answer and edits a question, dropping what followed', async () => {
    const id = await newConversation();
    await collectReply(await st.admin.raw('POST', `/api/conversations/${id}/messages`, { content: 'first question' }));
    await collectReply(await st.admin.raw('POST', `/api/conversations/${id}/messages`, { content: 'second question' }));
    const regen = await collectReply(await st.admin.raw('POST', `/api/conversations/${id}/regenerate`, {}));
    expect(regen.tokens.join('')).toBe(expectedReply(CHAT_MODEL, 'second question').join(''));
    let msgs = (await st.admin.get(`/api/conversations/${id}`)).body.messages as Array<{ id: string; role: string; content: string }>;
    expect(msgs.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);

    const edited = await collectReply(await st.admin.raw('PATCH', `/api/conversations/${id}/messages/${msgs[0]!.id}`, { content: 'edited question' }));
    expect(edited.tokens.join('')).toBe(expectedReply(CHAT_MODEL, 'edited question').join(''));
    msgs = (await st.admin.get(`/api/conversations/${id}`)).body.messages as typeof msgs;
    expect(msgs.map((m) => [m.role, m.role === 'user' ? m.content : ''])).toEqual([
      ['user', 'edited question'],
      ['assistant', ''],
    ]);
  });

  it('holds sending and regenerating to the model’s groups: 403 model_not_allowed, nothing written, at the next request', async () => {
    const id = await newConversation();
    await collectReply(await st.admin.raw('POST', `/api/conversations/${id}/messages`, { content: 'first question' }));
    const few = ((await st.admin.post('/api/groups', { kind: 'local', name: 'Chat few' })).body.group as { id: string }).id;
    await st.admin.request('PUT', `/api/groups/models/${CHAT_MODEL}`, { groups: [few] });
    try {
      for (const [method, path, body] of [
        ['POST', `/api/conversations/${id}/messages`, { content: 'second question' }],
        ['POST', `/api/conversations/${id}/regenerate`, {}],
      ] as const) {
        const res = await st.admin.raw(method, path, body);
        expect(res.status, path).toBe(403);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('model_not_allowed');
      }
      expect(((await st.admin.get(`/api/conversations/${id}`)).body.messages as unknown[]).length).toBe(2);
      const me = (await st.admin.get('/api/auth/me')).body.user as { id: string };
      await st.admin.request('PUT', `/api/groups/${few}/members/${me.id}`);
      const regen = await collectReply(await st.admin.raw('POST', `/api/conversations/${id}/regenerate`, {}));
      expect(regen.tokens.join('')).toBe(expectedReply(CHAT_MODEL, 'first question').join(''));
    } finally {
      await st.admin.request('PUT', `/api/groups/models/${CHAT_MODEL}`, { groups: [] });
    }
  });

  it('flags a prompt cut to fit the context window, never silently', async () => {
    st.s.catalog.save({ label: 'test' }, { name: CHAT_MODEL, kind: 'chat', contextLength: 256, isDefault: true });
    try {
      const id = await newConversation();
      const { final } = await collectReply(await st.admin.raw('POST', `/api/conversations/${id}/messages`, { content: 'word '.repeat(400) }));
      expect(final?.message.truncated).toBe(true);
      expect(st.s.logs.text()).toContain('prompt cut to fit the context window');
    } finally {
      st.s.catalog.save({ label: 'test' }, { name: CHAT_MODEL, kind: 'chat', contextLength: 4096, isDefault: true });
    }
  });

  it('refuses a disabled model and a conversation already generating', async () => {
    st.s.catalog.update({ label: 'test' }, CHAT_MODEL, { enabled: false });
    const before = (await st.admin.get('/api/conversations')).body.conversations as unknown[];
    try {
      const refused = await st.admin.post('/api/conversations', {});
      expect(refused.status).toBe(409);
      expect(codeOf(refused)).toBe('model_disabled');
      expect((await st.admin.get('/api/conversations')).body.conversations).toEqual(before);
    } finally {
      st.s.catalog.update({ label: 'test' }, CHAT_MODEL, { enabled: true });
    }
    st.ollamas[0]!.setTokensPerSecond(20);
    try {
      const id = await newConversation();
      const first = await st.admin.raw('POST', `/api/conversations/${id}/messages`, { content: 'one' });
      const second = await st.admin.post(`/api/conversations/${id}/messages`, { content: 'two' });
      expect(codeOf(second)).toBe('conflict');
      await st.admin.post(`/api/conversations/${id}/stop`);
      await collectReply(first);
    } finally {
      st.ollamas[0]!.setTokensPerSecond(0);
    }
  });
});
